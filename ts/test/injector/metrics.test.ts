// The injector's GET /metrics after real AdmissionReviews over HTTPS and a real certificate rotation
// (a Secret volume's ..data swap): reviews by outcome, the review-duration histogram, TLS reloads and
// the stop-log counters, read with the strict exposition parser of the sniffer's metrics tests.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { checkExposition, valueOf } from '../metrics-scrape';
import { FIXTURES, request, startOnSecretVolume } from './harness';

const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, `${name}.review.json`), 'utf8');

describe('GET /metrics', () => {
  it('counts reviews by outcome, observes their durations and counts TLS reloads', async () => {
    const { server, cas, rotate, rotateToBroken } = await startOnSecretVolume('metrics');
    try {
      for (const name of ['basic', 'declared-ports', 'not-labelled']) {
        expect((await request(server.port, cas, 'POST', '/mutate', fixture(name))).status).toBe(200);
      }
      expect((await request(server.port, cas, 'POST', '/mutate', '{}')).status).toBe(400);

      await rotate();
      await rotateToBroken();

      const scraped = await request(server.port, cas, 'GET', '/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = checkExposition(scraped.body);
      const reviews = (outcome: string) => valueOf(families, 'tcp_sniffer_injector_reviews_total', { outcome });
      expect([reviews('injected'), reviews('not-labelled'), reviews('bad-request')]).toEqual([2, 1, 1]);
      expect(families.get('tcp_sniffer_injector_reviews_total')!.metrics).toHaveLength(3);
      const duration = families.get('tcp_sniffer_injector_review_duration_seconds')!;
      expect(duration.type).toBe('HISTOGRAM');
      expect(duration.metrics.map((m) => Number(m.count))).toEqual([4]);
      expect(Number(duration.metrics[0]!.sum)).toBeGreaterThan(0);
      // The durations are those of the review log lines (durationUs), added up.
      const logged = server.logs.filter((l) => l.message === 'admission review').reduce((s, l) => s + l.durationUs, 0) / 1e6;
      expect(Number(duration.metrics[0]!.sum)).toBeCloseTo(logged, 6);
      expect(valueOf(families, 'tcp_sniffer_injector_tls_reloads_total', { result: 'reloaded' })).toBe(1);
      expect(valueOf(families, 'tcp_sniffer_injector_tls_reloads_total', { result: 'failed' })).toBe(1);
      // The /metrics request itself is the fifth.
      expect(valueOf(families, 'tcp_sniffer_injector_requests_total')).toBe(5);
      expect(valueOf(families, 'tcp_sniffer_injector_bad_requests_total')).toBe(1);
      for (const name of ['connections', 'connections_refused', 'handshake_failures', 'timeouts', 'busy_rejections']) {
        expect(valueOf(families, `tcp_sniffer_injector_${name}_total`), name).toBeDefined();
      }
      expect((await request(server.port, cas, 'POST', '/metrics', '')).status).toBe(405);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
