import type { Logger } from './log.js';

/** The capture's own losses: packets the kernel or the interface dropped, payload shed while JS was behind,
 * connections shed or evicted. Traffic lost before it reached us shows as gaps instead, not here. */
const LOSS_COUNTERS = ['kernelDropped', 'interfaceDropped', 'bytesShed', 'connectionsShed', 'connectionsEvicted'] as const;

/**
 * Warns when the capture starts losing traffic, within a second, instead of leaving it to the next
 * minute's `stats` line: whoever watches the sidecar's logs learns it is falling behind while it happens.
 * Each warning carries what was lost since the previous one (so the warnings add up to the totals) and
 * comes at most once per `warnEveryMs`; a capture that loses nothing logs nothing.
 */
export class LossWatch {
  private readonly reported = new Map<string, number>();
  private lastWarnAt = -Infinity;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly counters: () => Record<string, number>,
    private readonly log: Logger,
    checkEveryMs: number,
    private readonly warnEveryMs: number,
  ) {
    const start = this.counters();
    for (const name of LOSS_COUNTERS) this.reported.set(name, start[name] ?? 0);
    this.timer = setInterval(() => this.check(), checkEveryMs);
    this.timer.unref();
  }

  check(now = Date.now()): void {
    if (now - this.lastWarnAt < this.warnEveryMs) return;
    const current = this.counters();
    const lost: Record<string, number> = {};
    let any = false;
    for (const name of LOSS_COUNTERS) {
      const delta = (current[name] ?? 0) - (this.reported.get(name) ?? 0);
      if (delta > 0) any = true;
      lost[name] = Math.max(delta, 0);
    }
    if (!any) return;
    for (const name of LOSS_COUNTERS) this.reported.set(name, current[name] ?? 0);
    this.lastWarnAt = now;
    this.log.warn('capture losing traffic', { lost, totals: Object.fromEntries(LOSS_COUNTERS.map((n) => [n, current[n] ?? 0])) });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
