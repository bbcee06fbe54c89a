import { describe, expect, it } from 'vitest';
import { createLogger, LogLimiter } from '../src/log.js';

const capture = (opts: Parameters<typeof createLogger>[0] = {}) => {
  const lines: string[] = [];
  const log = createLogger({ ...opts, write: (l) => lines.push(l) });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
};

describe('createLogger', () => {
  it('writes one JSON object per line: timestamp, level, message, then fields', () => {
    const { log, lines, records } = capture();
    log.info('capture started', { interface: 'lo', ports: [80] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [r] = records();
    expect(Object.keys(r!).slice(0, 3)).toEqual(['timestamp', 'level', 'message']);
    expect(r).toMatchObject({ level: 'info', message: 'capture started', interface: 'lo', ports: [80] });
    expect(new Date(r!.timestamp as string).toISOString()).toBe(r!.timestamp);
  });

  it('honours the level, which may change at run time', () => {
    const { log, records } = capture({ level: 'warn' });
    log.debug('d'); log.info('i'); log.warn('w'); log.error('e');
    log.level = 'debug';
    log.debug('d2');
    expect(records().map((r) => r.message)).toEqual(['w', 'e', 'd2']);
  });

  it('keeps reserved names and serialises errors, bigints and cycles', () => {
    const { log, records } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.warn('x', { message: 'field', level: 'field', error: Object.assign(new Error('boom'), { code: 'EPIPE' }), n: 10n });
    log.warn('y', { cyclic });
    const [a, b] = records();
    expect(a).toMatchObject({ message: 'x', level: 'warn', 'field.message': 'field', 'field.level': 'field', n: '10' });
    expect(a!.error).toEqual({ name: 'Error', message: 'boom', code: 'EPIPE' });
    expect(b!.message).toBe('y');
    expect(b!.logError).toBeTypeOf('string');
  });

  it('scrubs the secrets from every line, raw or JSON-escaped', () => {
    const secret = 'tok"en\\42';
    const { log, lines } = capture({ secrets: [secret, 'plain-secret', ''] });
    log.error(`failed with ${secret}`, { header: `Bearer ${secret}`, other: 'plain-secret!' });
    expect(lines[0]).not.toContain('tok');
    expect(lines[0]).not.toContain('plain-secret');
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'failed with [REDACTED]', header: 'Bearer [REDACTED]', other: '[REDACTED]!' });
  });
});

describe('LogLimiter', () => {
  it('lets one record per key per interval through and reports how many it held back', () => {
    const lim = new LogLimiter(1000);
    expect(lim.admit('a', 0)).toBe(0);
    expect(lim.admit('a', 10)).toBe(-1);
    expect(lim.admit('a', 999)).toBe(-1);
    expect(lim.admit('b', 999)).toBe(0);
    expect(lim.admit('a', 1000)).toBe(2);
    expect(lim.admit('a', 1001)).toBe(-1);
  });

  it('adds the suppressed count to the next record', () => {
    const { log, records } = capture();
    const lim = new LogLimiter(60_000);
    for (let i = 0; i < 5; i++) lim.log(log, 'warn', 'k', 'failing', { i });
    expect(records()).toHaveLength(1);
    (lim as unknown as { last: Map<string, { at: number }> }).last.get('k')!.at = 0;
    lim.log(log, 'warn', 'k', 'failing', { i: 5 });
    expect(records()[1]).toMatchObject({ i: 5, suppressed: 4 });
  });
});
