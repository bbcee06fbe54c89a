// The collector output's pacing rules alone: jittered retry waits, Retry-After reading, breaker states.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, jitteredDelayMs, retryAfterMs } from '../src/outputs/delivery-pacing.js';

describe('jitteredDelayMs', () => {
  it('draws uniformly from 0 to each bound, the last bound past the end', () => {
    const bounds = [1000, 2000, 4000];
    expect([0, 1, 2].map((a) => jitteredDelayMs(bounds, a, () => 0))).toEqual([0, 0, 0]);
    expect([0, 1, 2].map((a) => jitteredDelayMs(bounds, a, () => 0.5))).toEqual([500, 1000, 2000]);
    expect([0, 1, 2, 7].map((a) => jitteredDelayMs(bounds, a, () => 0.9999999))).toEqual([1000, 2000, 4000, 4000]);
    const seen = new Set(Array.from({ length: 200 }, () => jitteredDelayMs(bounds, 2, Math.random)));
    expect(seen.size).toBeGreaterThan(100); // spread out, not a fixed wave
    for (const d of seen) expect(d >= 0 && d <= 4000).toBe(true);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('Wed, 02 Dec 2026 01:00:00 GMT');
  it('reads delay-seconds and HTTP-dates, bounded to the maximum', () => {
    expect(retryAfterMs('3', now, 30_000)).toBe(3000);
    expect(retryAfterMs(' 0 ', now, 30_000)).toBe(0);
    expect(retryAfterMs('120', now, 30_000)).toBe(30_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 01:00:07 GMT', now, 30_000)).toBe(7000);
    expect(retryAfterMs('Wednesday, 02-Dec-26 01:00:07 GMT', now, 30_000)).toBe(7000); // RFC 850
    expect(retryAfterMs('Wed Dec  2 01:00:07 2026', now, 30_000)).toBe(7000); // asctime: GMT whatever the local zone
    expect(retryAfterMs('Wed, 02 Dec 2026 02:00:00 GMT', now, 30_000)).toBe(30_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 00:59:00 GMT', now, 30_000)).toBe(0); // in the past
  });

  it('ignores what it cannot read', () => {
    for (const v of [undefined, '', '-1', '1.5', '3s', 'soon', '0x10', 'Wed, 99 Foo 2026 nonsense', ['1', '2']]) {
      expect(retryAfterMs(v as never, now, 30_000), String(v)).toBeUndefined();
    }
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures; a success in between resets the count', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000 }, () => 1);
    expect(b.failure(0)).toBe(false);
    expect(b.failure(0)).toBe(false);
    b.success();
    expect(b.failure(0)).toBe(false);
    expect(b.failure(0)).toBe(false);
    expect(b.admit(0)).toBe(true);
    expect(b.failure(10)).toBe(true);
    expect(b.state).toBe('open');
    expect(b.counts.opened).toBe(1);
    expect(b.failure(10)).toBe(false); // a request that started before it opened
  });

  it('lets one probe through after the cool-down; its failure reopens, its success closes', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1000 }, () => 0); // jitter: 50% of the cool-down
    b.failure(0);
    expect(b.waitMs(0)).toBe(500);
    expect(b.admit(499)).toBe(false);
    expect(b.admit(500)).toBe(true); // the probe
    expect(b.state).toBe('half-open');
    expect(b.admit(500)).toBe(false); // only one
    expect(b.failure(600)).toBe(true);
    expect(b.state).toBe('open');
    expect(b.waitMs(600)).toBe(500);
    expect(b.admit(1100)).toBe(true);
    expect(b.success()).toBe(true);
    expect(b.state).toBe('closed');
    expect(b.admit(1100) && b.admit(1100)).toBe(true);
    expect(b.counts).toEqual({ opened: 2, probes: 2 });
  });
});
