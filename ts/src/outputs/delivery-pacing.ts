// When the collector output may send (docs/outputs.md, "Retries and the breaker"): the wait before a
// retry (full jitter around 1, 2, 4 s, or the collector's Retry-After, bounded), and a circuit breaker that
// stops all sending while the collector is down and lets one probe through after a cool-down. Pure
// state: the output owns the timers, this file only decides.

/** The wait before retry number `attempt` (0-based): uniform in [0, base], so sidecars do not retry in waves. */
export function jitteredDelayMs(baseDelaysMs: readonly number[], attempt: number, random: () => number): number {
  const base = baseDelaysMs[Math.min(attempt, baseDelaysMs.length - 1)] ?? 0;
  return Math.floor(random() * (base + 1));
}

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds from `nowMs`,
 * at most `maxMs`; undefined when absent or unreadable (the jittered delay applies then). A date in the
 * past is 0.
 */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number, maxMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  let ms: number;
  if (/^[0-9]+$/.test(v)) {
    ms = Number(v) * 1000;
  } else {
    // IMF-fixdate and the two obsolete forms; Date.parse reads all three. asctime carries no zone and
    // means GMT, which Date.parse would not assume. Anything else is ignored.
    const asctime = /^[A-Za-z]{3} [A-Za-z]{3} [ 0-9]\d \d\d:\d\d:\d\d \d{4}$/.test(v);
    if (!/^[A-Za-z]{3,9}, /.test(v) && !asctime) return undefined;
    const at = Date.parse(asctime ? `${v} GMT` : v);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), maxMs);
}

export interface BreakerOptions {
  /** Consecutive failed attempts (network error, timeout, 5xx, 429) that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before one probe; each opening waits a jittered 50-100% of it. */
  coolDownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Closed: every request may go. Open: none may, until the cool-down ends. Half-open: one probe may go;
 * its success closes the breaker, its failure opens it again. Any answer from the collector (even a
 * final 4xx) counts as success: the collector is up.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private probing = false;
  private reopensAt = 0;
  readonly counts = { opened: 0, probes: 0 };

  constructor(private readonly opts: BreakerOptions, private readonly random: () => number) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Milliseconds until a probe may go; 0 unless open. */
  waitMs(nowMs: number): number {
    return this.current === 'open' ? Math.max(0, this.reopensAt - nowMs) : 0;
  }

  /** Whether one request may start now. In half-open, true once (the probe) until its outcome. */
  admit(nowMs: number): boolean {
    if (this.current === 'open') {
      if (nowMs < this.reopensAt) return false;
      this.current = 'half-open';
      this.probing = false;
    }
    if (this.current === 'half-open') {
      if (this.probing) return false;
      this.probing = true;
      this.counts.probes++;
    }
    return true;
  }

  /** The collector answered. Returns true when this closed an open or half-open breaker. */
  success(): boolean {
    this.failures = 0;
    this.probing = false;
    const reopened = this.current !== 'closed';
    this.current = 'closed';
    return reopened;
  }

  /** An attempt failed. Returns true when this opened the breaker. */
  failure(nowMs: number): boolean {
    if (this.current === 'open') return false; // a request that started before the breaker opened
    this.failures++;
    if (this.current === 'closed' && this.failures < this.opts.failureThreshold) return false;
    this.current = 'open';
    this.probing = false;
    this.counts.opened++;
    this.reopensAt = nowMs + Math.ceil(this.opts.coolDownMs * (0.5 + 0.5 * this.random()));
    return true;
  }
}
