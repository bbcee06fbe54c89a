// metricsPort end to end: createSniffer (dist/index.js, the real addon) captures real HTTP on lo, and
// /metrics is scraped over HTTP while it runs. The RED series are checked against the requests sent;
// the stop log's counters against sniffer.stats(), name by name.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Api from '../src/index.js';
import type { HttpMessage, Sniffer } from '../src/types.js';
import { platformCodecs } from '../src/bodies/codecs.js';
import { BodyStage } from '../src/bodies/stage.js';
import { createLogger } from '../src/log.js';
import { statSeries } from '../src/metrics/stats-metrics.js';
import { HttpsOutput } from '../src/outputs/https.js';
import { HarFileOutput, StdoutOutput } from '../src/outputs/index.js';
import { checkExposition, freePort, get, valueOf, type Family } from './metrics-scrape.js';
import { ADDON, DIST, requireArtifacts, requireFromHere, runRequests, serve, sleep, waitFor, type RequestSpec, type Served } from './runtime-support.js';

let api: typeof Api;

/** Answers with the status the path asks for (/status/404) and 200 otherwise; /trap answers with text shaped like message keys. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  req.on('end', () => {
    const url = req.url ?? '/';
    const asked = /^\/status\/(\d{3})/.exec(url);
    if (url.startsWith('/trap')) {
      res.setHeader('content-type', 'text/plain');
      res.end('x'.repeat(5000) + ',"elapsedMs":99999,"headers":{"a":"b"},"elapsedMs":88888');
      return;
    }
    res.statusCode = asked ? Number(asked[1]) : 200;
    res.end(`answer to ${req.method} ${url}`);
  });
}

// 4 automatic routes fit (metricsMaxRoutes 4): /users/{id}, /items/{uuid}, /blobs/{hex}, /status/{id};
// /trap and /late arrive after the cap and fold into __other__. /orders/7/lines matches an explicit
// template and never folds.
const PLAN: RequestSpec[] = [
  { method: 'GET', path: '/users/1' },
  { method: 'GET', path: '/users/22?tab=orders' },
  { method: 'GET', path: '/users/333', headers: { method: 'DELETE', path: '/not/this' } },
  { method: 'GET', path: '/items/550e8400-e29b-41d4-a716-446655440000' },
  { method: 'PUT', path: '/blobs/0123456789abcdef0123', body: 'x' },
  { method: 'GET', path: '/status/404' },
  { method: 'POST', path: '/status/503', body: '{"a":1}' },
  { method: 'GET', path: '/orders/7/lines' },
  { method: 'GET', path: '/trap' },
  { method: 'DELETE', path: '/late' },
];

let target: Served;
let sniffer: Sniffer;
let metricsPort: number;
const got: HttpMessage[] = [];
let families: Map<string, Family>;
let scrapedAt: ReturnType<Sniffer['stats']>;

beforeAll(async () => {
  requireArtifacts(join(DIST, 'index.js'), ADDON);
  api = requireFromHere(join(DIST, 'index.js')) as typeof Api;
  target = await serve(handler);
  metricsPort = await freePort();
  sniffer = api.createSniffer({
    interface: 'lo', ports: [target.port], onHttpMessage: (m) => void got.push(m),
    metricsPort, metricsMaxRoutes: 4, routeTemplates: ['/orders/{order}/lines'],
  });
  await sniffer.start();
  await runRequests(target.port, PLAN);
  await waitFor(() => got.length >= 2 * PLAN.length, 15_000, 'every request and response of the plan');
  const scraped = await get(metricsPort, '/metrics');
  expect(scraped.status).toBe(200);
  expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  families = checkExposition(scraped.body);
  scrapedAt = sniffer.stats();
});

afterAll(async () => {
  await sniffer?.stop();
  await target?.close();
});

describe('RED metrics by route', () => {
  const requests = (labels: Record<string, string>): number | undefined => valueOf(families, 'tcp_sniffer_http_requests_total', labels);

  it('counts exchanges by method, templated route and status class', () => {
    expect(requests({ method: 'GET', route: '/users/{id}', status_class: '2xx' })).toBe(3);
    expect(requests({ method: 'GET', route: '/items/{uuid}', status_class: '2xx' })).toBe(1);
    expect(requests({ method: 'PUT', route: '/blobs/{hex}', status_class: '2xx' })).toBe(1);
    expect(requests({ method: 'GET', route: '/status/{id}', status_class: '4xx' })).toBe(1);
    expect(requests({ method: 'POST', route: '/status/{id}', status_class: '5xx' })).toBe(1);
    expect(requests({ method: 'GET', route: '/orders/{order}/lines', status_class: '2xx' })).toBe(1);
    // A header named "method" or "path" is not the start line.
    expect(requests({ method: 'DELETE', route: '/not/this' })).toBeUndefined();
    const total = families.get('tcp_sniffer_http_requests_total')!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(total).toBe(PLAN.length);
  });

  it('folds routes past metricsMaxRoutes into __other__ and counts them', () => {
    expect(requests({ method: 'GET', route: '__other__', status_class: '2xx' })).toBe(1);
    expect(requests({ method: 'DELETE', route: '__other__', status_class: '2xx' })).toBe(1);
    expect(valueOf(families, 'tcp_sniffer_http_routes_folded_total')).toBe(2);
    expect(valueOf(families, 'tcp_sniffer_http_routes')).toBe(4);
    const routes = new Set(families.get('tcp_sniffer_http_requests_total')!.metrics.map((m) => m.labels!.route));
    expect([...routes].sort()).toEqual(['/blobs/{hex}', '/items/{uuid}', '/orders/{order}/lines', '/status/{id}', '/users/{id}', '__other__']);
  });

  it('observes one duration per exchange, from the elapsedMs of the messages', () => {
    const histogram = families.get('tcp_sniffer_http_request_duration_seconds')!;
    const count = histogram.metrics.reduce((n, m) => n + Number(m.count), 0);
    expect(count).toBe(PLAN.length);
    expect(valueOf(families, 'tcp_sniffer_http_request_duration_seconds', { method: 'GET', route: '/users/{id}' })).toBe(3);
    const elapsed = got.filter((m) => m.direction === 'response').reduce((s, m) => s + m.elapsedMs!, 0) / 1000;
    const sum = histogram.metrics.reduce((s, m) => s + Number(m.sum), 0);
    // The same figures, added in another order: /trap's body text shaped like "elapsedMs" was not read.
    expect(sum).toBeCloseTo(elapsed, 6);
    expect(valueOf(families, 'tcp_sniffer_http_responses_unpaired_total', {})).toBeUndefined();
    expect(valueOf(families, 'tcp_sniffer_http_requests_awaiting_response')).toBe(0);
    expect(valueOf(families, 'tcp_sniffer_http_messages_unreadable_total')).toBe(0);
  });
});

describe('capture health and losses, named after the stop log', () => {
  it('exports every number of sniffer.stats() under its derived name', () => {
    const series = statSeries(scrapedAt);
    expect(series.length).toBeGreaterThan(60);
    for (const s of series) {
      const f = families.get(s.name);
      expect(f, `${s.path} → ${s.name}`).toBeDefined();
      expect(f!.type).toBe(s.type.toUpperCase());
      expect(f!.metrics.some((m) => Object.entries(s.labels).every(([k, v]) => m.labels?.[k] === v)), s.name).toBe(true);
    }
  });

  it('carries every loss reason, with the values of the stats', () => {
    for (const name of [
      'tcp_sniffer_capture_kernel_dropped_total', 'tcp_sniffer_capture_interface_dropped_total',
      'tcp_sniffer_capture_bytes_shed_total', 'tcp_sniffer_capture_connections_shed_total',
      'tcp_sniffer_capture_batches_refused_total', 'tcp_sniffer_capture_connections_evicted_total',
      'tcp_sniffer_capture_holders_cut_total', 'tcp_sniffer_capture_bytes_gap_total',
      'tcp_sniffer_decoder_gaps_total', 'tcp_sniffer_decoder_budget_cuts_total', 'tcp_sniffer_decoder_parse_errors_total',
      'tcp_sniffer_decoder_orphan_responses_total', 'tcp_sniffer_decoder_malformed_batches_total',
      'tcp_sniffer_pipeline_batches_forced_total', 'tcp_sniffer_pipeline_delivery_errors_total',
    ]) {
      expect(valueOf(families, name), name).toBeDefined();
    }
    // Settled counters agree exactly with the stats read right after the scrape.
    const decoder = scrapedAt.decoder as Record<string, number>;
    expect(valueOf(families, 'tcp_sniffer_decoder_requests_total')).toBe(decoder.requests);
    expect(decoder.requests).toBe(PLAN.length);
    expect(valueOf(families, 'tcp_sniffer_decoder_responses_total')).toBe(PLAN.length);
    expect(valueOf(families, 'tcp_sniffer_messages_total')).toBe(2 * PLAN.length);
    expect(valueOf(families, 'tcp_sniffer_output_delivered_total', { output: 'callback' })).toBe(2 * PLAN.length);
    expect(valueOf(families, 'tcp_sniffer_output_dropped_total', { output: 'callback' })).toBe(0);
    expect(valueOf(families, 'tcp_sniffer_decoder_non_http_connections_total', { reason: 'tls' })).toBe(0);
    expect(valueOf(families, 'tcp_sniffer_capture_connections_tracked_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(families, 'tcp_sniffer_up')).toBe(1);
    expect(valueOf(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('docs/metrics.md and deploy/grafana-dashboard.json', () => {
  it('name only metrics that are exported', async () => {
    const exported = new Set(families.keys());
    // The live sniffer above had only the callback output and no body stage; the others' counters follow the same rule.
    const log = createLogger({ level: 'error', write: () => {} });
    const https = new HttpsOutput(new URL('https://127.0.0.1:9/'), undefined, log);
    const stdout = new StdoutOutput(log, { stream: new PassThrough() as never });
    const dir = mkdtempSync(join(tmpdir(), 'metrics-har-'));
    const har = new HarFileOutput(join(dir, 'out.har'), log);
    const bodies = new BodyStage({ maxBodySize: 0, maxRatio: 1 }, platformCodecs(), () => {}, log).counters;
    const outputs = { https: https.stats(), stdout: stdout.stats(), har: har.stats() };
    for (const s of statSeries({ capture: {}, decoder: { pipeline: { ...bodies } }, outputs, messages: 0 })) exported.add(s.name);
    await https.drain(Date.now());
    await stdout.drain(Date.now());
    await har.drain(Date.now());
    rmSync(dir, { recursive: true });
    const doc = readFileSync(join(__dirname, '../../docs/metrics.md'), 'utf8');
    const dashboard = readFileSync(join(__dirname, '../../deploy/grafana-dashboard.json'), 'utf8');
    const named = new Set([...`${doc}\n${dashboard}`.matchAll(/\b((?:tcp_sniffer|process)_[a-z_]*[a-z])\b/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')));
    const unknown = [...named].filter((n) => !exported.has(n) && !/^tcp_sniffer_(capture|decoder|pipeline|output)$/.test(n));
    expect(unknown).toEqual([]);
    expect(named.size).toBeGreaterThan(60);
    const panels = (JSON.parse(dashboard) as { panels: Array<{ targets?: Array<{ expr: string }> }> }).panels;
    expect(panels.flatMap((p) => p.targets ?? []).length).toBeGreaterThan(15);
  });
});

describe('the exposition checker', () => {
  it('rejects what a Prometheus server would, so the checks above can fail', () => {
    const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{r="/u/{id}"} 3\n';
    expect(checkExposition(ok).get('a_total')!.metrics[0]!.value).toBe('3');
    expect(() => checkExposition(ok.replace(' 3', ' three'))).toThrow(/malformed sample/);
    expect(() => checkExposition(ok.replace('{r=', '{1r='))).toThrow(/malformed labels/);
    expect(() => checkExposition(ok.replace('# TYPE a_total counter\n', ''))).toThrow(/without TYPE/);
    const h = '# TYPE h histogram\nh_bucket{le="0.1",m="G"} 2\nh_bucket{le="+Inf",m="G"} 1\nh_sum{m="G"} 1\nh_count{m="G"} 1\n';
    expect(() => checkExposition(h)).toThrow(/not cumulative/);
  });
});

describe('the endpoint', () => {
  it('answers /healthz while capturing, refuses other paths and methods, and closes at stop', async () => {
    expect((await get(metricsPort, '/healthz')).status).toBe(200);
    expect((await get(metricsPort, '/')).status).toBe(404);
    const post = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: metricsPort, path: '/metrics', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(post).toBe(405);
    await sniffer.stop();
    await expect(get(metricsPort, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses a port already in use, naming metricsPort, and leaves nothing open', async () => {
    const busy = await serve(handler);
    const other = api.createSniffer({ interface: 'lo', ports: [busy.port], metricsPort: busy.port });
    await expect(other.start()).rejects.toThrow(`metricsPort ${busy.port} could not be used: EADDRINUSE`);
    expect(other.isRunning()).toBe(false);
    await busy.close();
  });

  it('is served by the CLI from METRICS_PORT and ROUTE_TEMPLATES, and the CLI still exits 0 on SIGTERM', async () => {
    const served = await serve(handler);
    const port = await freePort();
    const cli = spawn(process.execPath, [join(DIST, 'cli.js'), '--interface', 'lo', '--ports', String(served.port)], {
      env: { ...process.env, METRICS_PORT: String(port), ROUTE_TEMPLATES: '/api/{version} /other' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('"message":"capturing"'), 15_000, 'the CLI to capture');
      expect(stderr).toContain(`"message":"metrics endpoint listening","metricsPort":${port}`);
      await runRequests(served.port, [{ method: 'GET', path: '/api/v1' }, { method: 'GET', path: '/api/v2?x=1' }]);
      // Scraped until the messages of both exchanges are in (the capture hands them over within 100 ms).
      let families = new Map<string, Family>();
      for (const until = Date.now() + 15_000; valueOf(families, 'tcp_sniffer_http_requests_total', { route: '/api/{version}' }) !== 2;) {
        if (Date.now() > until) throw new Error(`both exchanges never appeared:\n${stderr}`);
        await sleep(50);
        families = checkExposition((await get(port, '/metrics')).body);
      }
      expect(valueOf(families, 'tcp_sniffer_decoder_requests_total')).toBe(2);
    } finally {
      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
      await served.close();
    }
  });

  it('is refused with --read-tcpflow, which has no metrics', () => {
    const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), '--read-tcpflow', tmpdir(), '--metrics-port', '9464'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid --metrics-port: not with --read-tcpflow');
  });

  it('rejects invalid metrics options with the field and the rule', () => {
    expect(() => api.createSniffer({ ports: [80], metricsPort: 0 })).toThrow('invalid metricsPort: integer 1-65535 (got 0)');
    expect(() => api.createSniffer({ ports: [80], metricsPort: 70000 })).toThrow('invalid metricsPort: integer 1-65535');
    expect(() => api.createSniffer({ ports: [80], metricsMaxRoutes: 0 })).toThrow('invalid metricsMaxRoutes: integer from 1 to 10000');
    expect(() => api.createSniffer({ ports: [80], routeTemplates: ['users/{id}'] })).toThrow('routeTemplates[0] must start with /');
    expect(() => api.createSniffer({ ports: [80], routeTemplates: ['/users/x{id}'] })).toThrow('placeholder segments are a whole {name}');
  });
});
