// ExchangeMetrics reading message lines: lines laid out as http-core writes them (its key order,
// docs/internals.md §2), with the content that could fool a reader that does not parse JSON: escapes in
// the path, headers named like start-line keys, bodies holding key-shaped text, long tails.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../src/config.js';
import { ExchangeMetrics } from '../src/metrics/exchanges.js';

const ends = { source: { ip: '10.0.0.2', port: 40000 }, destination: { ip: '10.0.0.1', port: 80 }, receiver: { ip: '10.0.0.1', port: 80 } };

function request(conn: string, exchange: number, method: string, path: string, extra: object = {}): string {
  return JSON.stringify({
    timestamp: '2026-01-01T00:00:00.000000Z', direction: 'request', connectionId: conn, exchange, ...ends, httpVersion: '1.1',
    method, path, headers: { host: 'h' }, bodySize: 0, bodyTruncated: false, ...extra,
  });
}

function response(conn: string, exchange: number, statusCode: number, elapsedMs?: number, extra: object = {}, headers: object = {}): string {
  return JSON.stringify({
    timestamp: '2026-01-01T00:00:00.000000Z', direction: 'response', connectionId: conn, exchange, ...ends, httpVersion: '1.1',
    statusCode, statusMessage: 'x', headers, ...extra, bodySize: 0, bodyTruncated: false, ...(elapsedMs === undefined ? {} : { elapsedMs }),
  });
}

async function values(registry: Registry): Promise<Map<string, Array<{ labels: Record<string, unknown>; value: number; metricName?: string }>>> {
  const out = new Map();
  for (const m of await registry.getMetricsAsJSON()) out.set(m.name, m.values);
  return out;
}

function metrics(maxAwaiting: number = LIMITS.metrics.maxAwaitingResponses): { m: ExchangeMetrics; registry: Registry } {
  const registry = new Registry();
  const m = new ExchangeMetrics(registry, { routeTemplates: [], maxRoutes: 10, maxAwaiting, durationBuckets: LIMITS.metrics.durationBucketsSeconds });
  return { m, registry };
}

const block = (...lines: string[]): Uint8Array => Buffer.from(lines.map((l) => l + '\n').join(''));

describe('ExchangeMetrics', () => {
  it('reads method, path, status and elapsedMs where headers and bodies hold look-alikes', async () => {
    const { m, registry } = metrics();
    m.observe(block(
      request('1', 1, 'GET', '/users/7/a\\"b\u00e9', { headers: { method: 'DELETE', path: '/no', statuscode: '500' }, body: ',"path":"/no","headers":{', bodyEncoding: 'utf8' }),
      response('1', 1, 201, 12.5, { body: 'x'.repeat(5000) + ',"elapsedMs":99999', bodyEncoding: 'utf8' }, { 'x-elapsed': ',"elapsedMs":77' }),
    ));
    // Without timestamp, and a body whose tail holds the key after the real one would be in a naive search.
    m.observe(block(
      request('1', 2, 'POST', '/users/8').replace(/^\{"timestamp":"[^"]*",/, '{'),
      response('1', 2, 404, 3),
    ));
    const v = await values(registry);
    expect(v.get('tcp_sniffer_http_requests_total')).toEqual([
      { labels: { method: 'GET', route: '/users/{id}/a\\"b\u00e9', status_class: '2xx' }, value: 1 },
      { labels: { method: 'POST', route: '/users/{id}', status_class: '4xx' }, value: 1 },
    ]);
    const sums = v.get('tcp_sniffer_http_request_duration_seconds')!.filter((s) => s.metricName?.endsWith('_sum'));
    expect(sums.map((s) => s.value)).toEqual([0.0125, 0.003]);
    expect(v.get('tcp_sniffer_http_messages_unreadable_total')![0]!.value).toBe(0);
  });

  it('reads a line of another key order by parsing it whole', async () => {
    const { m, registry } = metrics();
    const reordered = JSON.stringify({ method: 'PUT', direction: 'request', path: '/x/9', connectionId: '4', exchange: 1, headers: {} });
    m.observe(block(reordered, response('4', 1, 200, 1)));
    const v = await values(registry);
    expect(v.get('tcp_sniffer_http_requests_total')).toEqual([{ labels: { method: 'PUT', route: '/x/{id}', status_class: '2xx' }, value: 1 }]);
  });

  it('skips 1xx before the final response, counts unpaired responses, forgets the oldest requests past the bound, and counts unreadable lines', async () => {
    const { m, registry } = metrics(2);
    m.observe(block(
      request('1', 1, 'GET', '/a'), response('1', 1, 100), response('1', 1, 200, 1),
      response('9', 1, 502, 1),
      request('2', 1, 'GET', '/b'), request('3', 1, 'GET', '/c'), request('4', 1, 'GET', '/d'),
      response('2', 1, 200, 1), response('4', 1, 200, 1),
      'not json', '{"direction":"request"}',
    ));
    const v = await values(registry);
    expect(v.get('tcp_sniffer_http_requests_total')!.map((s) => [s.labels.route, s.value])).toEqual([['/a', 1], ['/d', 1]]);
    expect(v.get('tcp_sniffer_http_responses_unpaired_total')).toEqual([
      { labels: { status_class: '5xx' }, value: 1 }, { labels: { status_class: '2xx' }, value: 1 },
    ]);
    expect(v.get('tcp_sniffer_http_requests_forgotten_total')![0]!.value).toBe(1);
    expect(v.get('tcp_sniffer_http_requests_awaiting_response')![0]!.value).toBe(1);
    expect(v.get('tcp_sniffer_http_messages_unreadable_total')![0]!.value).toBe(2);
  });
});
