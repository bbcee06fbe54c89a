// Scraping a /metrics endpoint over real HTTP and reading the exposition with a strict parser of the text
// format. (parse-prometheus-text-format 1.1.1 was tried: it accepts any text as a value and merges the
// series of a histogram whose `le` label is not the last one, which is how prom-client writes them.)
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

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
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/;
const LABEL_PAIR = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
// Go's ParseFloat, which Prometheus reads values with: NaN and Inf in any case (prom-client writes "Nan").
const VALUE = /^([+-]?(inf|infinity)|nan|[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)$/i;

function goFloat(text: string): number {
  const t = text.toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (/^[+-]?inf(inity)?$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

function labelsOf(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL_PAIR.exec(rest);
    if (m === null) throw new Error(`malformed labels: ${line}`);
    if (m[1]! in out) throw new Error(`label ${m[1]} twice: ${line}`);
    out[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * Parses the text format 0.0.4 strictly (a Prometheus server's rules: names, label syntax and
 * escaping, float values, TYPE before samples, each family once and contiguous, histogram buckets
 * cumulative with +Inf equal to _count) and returns the families by name. Any break throws.
 */
export function checkExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const out = new Map<string, Family>();
  const histograms = new Map<string, Map<string, { labels: Record<string, string>; buckets: Array<[number, number]>; count?: number; sum?: number }>>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!NAME.test(name ?? '')) throw new Error(`metric name ${JSON.stringify(name)} is not valid`);
      if (out.has(name!) && current?.name !== name) throw new Error(`metric family ${name} appears twice`);
      current = out.get(name!) ?? { name: name!, help: '', type: '', metrics: [] };
      out.set(name!, current);
      if (kind === 'HELP') current.help = rest.join(' ');
      else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest[0] ?? '')) throw new Error(`bad TYPE: ${line}`);
        if (current.metrics.length > 0) throw new Error(`TYPE after samples: ${line}`);
        current.type = rest[0]!.toUpperCase();
      }
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null || !VALUE.test(m[4]!)) throw new Error(`malformed sample: ${line}`);
    const name = m[1]!;
    const labels = labelsOf(m[3] ?? '', line);
    const value = goFloat(m[4]!);
    if (current === undefined || current.type === '') throw new Error(`sample without TYPE: ${line}`);
    if (current.type === 'HISTOGRAM') {
      const suffix = ['_bucket', '_sum', '_count'].find((s) => name === current!.name + s);
      if (suffix === undefined) throw new Error(`sample ${name} in histogram ${current.name}`);
      const { le, ...rest } = labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      const byLabels = histograms.get(current.name) ?? new Map();
      histograms.set(current.name, byLabels);
      const h = byLabels.get(key) ?? { labels: rest, buckets: [] };
      byLabels.set(key, h);
      if (suffix === '_bucket') {
        if (le === undefined || !VALUE.test(le)) throw new Error(`bucket without le: ${line}`);
        h.buckets.push([goFloat(le), value]);
      } else if (suffix === '_sum') h.sum = value;
      else h.count = value;
      continue;
    }
    if (name !== current.name) throw new Error(`sample ${name} outside its family (${current.name})`);
    if (current.type === 'COUNTER' && (!name.endsWith('_total') || value < 0)) throw new Error(`bad counter: ${line}`);
    current.metrics.push({ value: m[4], labels });
  }
  for (const [name, byLabels] of histograms) {
    for (const h of byLabels.values()) {
      const les = h.buckets.map(([le]) => le);
      if (les.some((le, i) => i > 0 && le <= les[i - 1]!) || les.at(-1) !== Infinity) throw new Error(`${name}: le not increasing to +Inf`);
      if (h.buckets.some(([, c], i) => i > 0 && c < h.buckets[i - 1]![1])) throw new Error(`${name}: buckets are not cumulative`);
      if (h.count === undefined || h.sum === undefined || h.buckets.at(-1)![1] !== h.count) throw new Error(`${name}: +Inf bucket, _count or _sum wrong`);
      out.get(name)!.metrics.push({
        labels: h.labels, count: String(h.count), sum: String(h.sum),
        buckets: Object.fromEntries(h.buckets.map(([le, c]) => [String(le), String(c)])),
      });
    }
  }
  return out;
}

/** The value of the series of `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m === undefined ? undefined : Number(m.value ?? m.count);
}
