// The stop log's counters as Prometheus metrics: every number of `sniffer.stats()` (the object the
// "stopped" and "stats" log lines carry) becomes one series, its name derived from its path by one rule
// (docs/metrics.md, "From the stop log"), so a counter added to the addon, the core or an output is
// exported without a change here.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { SnifferStats } from '../types.js';

export const PREFIX = 'tcp_sniffer_';

/** Keys that hold a level now rather than a count since start: exported as gauges, without `_total`. */
export const GAUGE_KEYS: ReadonlySet<string> = new Set([
  'connectionsActive', 'connectionsOpen', 'bufferedBytes', 'bufferedBodyBytes', 'queuedBytes', 'queued',
  'inFlight', 'pending', 'pendingRequests',
]);

/** `packetsSeen` → `packets_seen`; a run of capitals is one word (`nonHTTP` → `non_http`). */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toLowerCase();
}

/** One number of the stats object, as a series. */
export interface StatSeries {
  /** Where it is in the stop log, label values as `<label>`: `outputs.<output>.dropped`. */
  path: string;
  name: string;
  type: 'counter' | 'gauge';
  labels: Record<string, string>;
  value: number;
}

/**
 * Every number of `stats` as a series. Sections: `capture.K` → `capture_k`; `decoder.K` → `decoder_k`;
 * `decoder.K.R` (a map of counts, such as nonHttpConnections by reason) → `decoder_k{reason="R"}`;
 * `decoder.pipeline.K` → `pipeline_k`; `outputs.O.K` → `output_k{output="O"}`; `messages` → `messages`.
 * Counters end in `_total`.
 */
export function statSeries(stats: SnifferStats): StatSeries[] {
  const out: StatSeries[] = [];
  const add = (path: string, section: string, key: string, value: unknown, labels: Record<string, string> = {}): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    const gauge = GAUGE_KEYS.has(key);
    const name = `${PREFIX}${section}${snakeCase(key)}${gauge ? '' : '_total'}`;
    out.push({ path, name, type: gauge ? 'gauge' : 'counter', labels, value });
  };
  for (const [k, v] of Object.entries(stats.capture)) add(`capture.${k}`, 'capture_', k, v);
  for (const [k, v] of Object.entries(stats.decoder)) {
    if (k === 'pipeline' && typeof v === 'object' && v !== null) {
      for (const [pk, pv] of Object.entries(v)) add(`decoder.pipeline.${pk}`, 'pipeline_', pk, pv);
    } else if (typeof v === 'object' && v !== null) {
      for (const [r, rv] of Object.entries(v)) add(`decoder.${k}.<reason>`, 'decoder_', k, rv, { reason: r });
    } else {
      add(`decoder.${k}`, 'decoder_', k, v);
    }
  }
  for (const [o, counters] of Object.entries(stats.outputs)) {
    for (const [k, v] of Object.entries(counters)) add(`outputs.<output>.${k}`, 'output_', k, v, { output: o });
  }
  add('messages', '', 'messages', stats.messages);
  return out;
}

/** Keeps one prom-client metric per derived name and sets it from the stats at each scrape. */
export class StatsMetrics {
  private readonly metrics = new Map<string, Counter | Gauge>();

  constructor(
    private readonly registry: Registry,
    private readonly read: () => SnifferStats,
  ) {}

  /** Reads the stats now and sets every series; called right before the registry is serialized. */
  refresh(): void {
    const byName = new Map<string, StatSeries[]>();
    for (const s of statSeries(this.read())) {
      const list = byName.get(s.name);
      if (list === undefined) byName.set(s.name, [s]);
      else list.push(s);
    }
    for (const series of byName.values()) {
      const metric = this.metric(series[0]!);
      // The sources keep their own totals: the metric is set to them, not incremented by us.
      metric.reset();
      for (const s of series) {
        if (metric instanceof Gauge) metric.set(s.labels, s.value);
        else metric.inc(s.labels, s.value);
      }
    }
  }

  private metric(s: StatSeries): Counter | Gauge {
    let m = this.metrics.get(s.name);
    if (m === undefined) {
      const config = {
        name: s.name,
        help: `${s.path} in the stop log (docs/metrics.md)`,
        labelNames: Object.keys(s.labels),
        registers: [this.registry],
      };
      m = s.type === 'gauge' ? new Gauge(config) : new Counter(config);
      this.metrics.set(s.name, m);
    }
    return m;
  }
}
