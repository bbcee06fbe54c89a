// Scraping a /metrics endpoint over real HTTP and reading the exposition: parse-prometheus-text-format
// splits it into families, and checkExposition adds the rules that parser does not enforce (it accepts
// any text as a value), so a malformed exposition fails the tests.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

export interface Scraped {
  status: number;
  contentType: string;
  body: string;
}

export function get(port: number, path: string, opts: { tls?: boolean; host?: string } = {}): Promise<Scraped> {
  const client = opts.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get({ host: opts.host ?? '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** A port nobody listens on right now (the kernel's pick, released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const isNumber = (v: string | undefined): boolean => v !== undefined && (/^[+-]?Inf$/.test(v) || v === 'NaN' || Number.isFinite(Number(v)) && v.trim() !== '');

/** Parses the text format and checks what a Prometheus server would reject. Returns the families by name. */
export function checkExposition(text: string): Map<string, Family> {
  const families = parsePrometheusTextFormat(text) as Family[];
  const out = new Map<string, Family>();
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`metric name ${JSON.stringify(f.name)} is not valid`);
    if (out.has(f.name)) throw new Error(`metric family ${f.name} appears twice`);
    if (!['COUNTER', 'GAUGE', 'HISTOGRAM', 'SUMMARY'].includes(f.type)) throw new Error(`${f.name} has no TYPE line (${f.type})`);
    if (f.type === 'COUNTER' && !f.name.endsWith('_total')) throw new Error(`counter ${f.name} does not end in _total`);
    for (const m of f.metrics) {
      for (const l of Object.keys(m.labels ?? {})) if (!LABEL.test(l)) throw new Error(`${f.name}: label ${l} is not valid`);
      if (f.type === 'HISTOGRAM') {
        const buckets = Object.entries(m.buckets ?? {});
        if (!buckets.every(([le, v]) => isNumber(le) && isNumber(v)) || !isNumber(m.count) || !isNumber(m.sum)) {
          throw new Error(`${f.name}: a histogram value is not a number`);
        }
        const counts = buckets.map(([, v]) => Number(v));
        if (counts.some((c, i) => i > 0 && c < counts[i - 1]!)) throw new Error(`${f.name}: buckets are not cumulative`);
        if (m.buckets?.['+Inf'] !== m.count) throw new Error(`${f.name}: the +Inf bucket is not the count`);
      } else if (f.type !== 'SUMMARY' && !isNumber(m.value)) {
        throw new Error(`${f.name}: value ${JSON.stringify(m.value)} is not a number`);
      } else if (f.type === 'COUNTER' && Number(m.value) < 0) {
        throw new Error(`${f.name}: a counter is negative`);
      }
    }
    out.set(f.name, f);
  }
  return out;
}

/** The value of the series of `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m === undefined ? undefined : Number(m.value ?? m.count);
}
