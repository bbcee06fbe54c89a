// The metrics endpoint (`metricsPort`): GET /metrics in Prometheus text format (prom-client), GET /healthz.
// Off unless a port is configured. What is exported and why: docs/metrics.md.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { LIMITS, type ResolvedConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { SnifferStats } from '../types.js';
import { ExchangeMetrics } from './exchanges.js';
import { PREFIX, StatsMetrics } from './stats-metrics.js';

/** What the endpoint reads from the sniffer. */
export interface MetricsSource {
  stats(): SnifferStats;
  /** False once the capture or the pipeline failed, or the sniffer stopped: /healthz answers 503. */
  healthy(): boolean;
}

export class MetricsEndpoint {
  readonly registry = new Registry();
  private readonly exchanges: ExchangeMetrics;
  private readonly statsMetrics: StatsMetrics;
  private readonly server: http.Server;

  constructor(
    cfg: Pick<ResolvedConfig, 'routeTemplates' | 'metricsMaxRoutes'>,
    private readonly source: MetricsSource,
    private readonly log: Logger,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.exchanges = new ExchangeMetrics(this.registry, {
      routeTemplates: cfg.routeTemplates,
      maxRoutes: cfg.metricsMaxRoutes,
      maxAwaiting: LIMITS.metrics.maxAwaitingResponses,
      durationBuckets: LIMITS.metrics.durationBucketsSeconds,
    });
    this.statsMetrics = new StatsMetrics(this.registry, () => source.stats());
    new Gauge({
      name: `${PREFIX}up`,
      help: '1 while capturing and delivering; 0 after a capture or pipeline failure, and while stopping',
      registers: [this.registry],
      collect() {
        this.set(source.healthy() ? 1 : 0);
      },
    });
    this.server = http.createServer((req, res) => void this.answer(req, res));
    // A scraper needs one connection; these bound what a misbehaving client can hold.
    this.server.maxConnections = LIMITS.metrics.maxConnections;
    this.server.requestTimeout = LIMITS.metrics.requestTimeoutMs;
    this.server.headersTimeout = LIMITS.metrics.requestTimeoutMs;
  }

  /** The pipeline's observer: every block of message lines, as the outputs get it. */
  observe(jsonl: Uint8Array): void {
    this.exchanges.observe(jsonl);
  }

  /**
   * Listens on every address of the host (IPv6 and IPv4 where the kernel allows both): a scraper reaches
   * a pod through its pod IP. Rejects with an error naming metricsPort when the port cannot be used.
   */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        reject(new Error(`metricsPort ${port} could not be used: ${e.code ?? e.message}`));
      };
      this.server.once('error', onError);
      this.server.listen(port, () => {
        this.server.off('error', onError);
        this.server.on('error', (e) => this.log.warn('metrics endpoint error', { error: e.message }));
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/healthz') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics or /healthz\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('use GET\n');
      return;
    }
    if (path === '/healthz') {
      const ok = this.source.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not capturing\n');
      return;
    }
    try {
      this.statsMetrics.refresh();
      const text = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(text);
    } catch (e) {
      this.log.error('metrics could not be collected', { error: (e as Error).message });
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
    }
  }
}
