// One table of numeric limits (config.ts INTEGER_LIMITS) and the capture addon's own checks agree: every
// option the addon takes is accepted by both at its minimum and maximum and refused by both one past
// either, with the same rule text. A value TS let through and the addon refused made start() throw after
// validation: exit 2 instead of a configuration error.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTEGER_LIMITS, LIMITS, RULES, validateConfig } from '../src/config.js';
import { ADDON, requireBuilt } from './helpers/paths.js';
// @ts-expect-error: a plain .mjs helper (shared with bench/), without type declarations
import { PcapWriter } from './helpers/pcap-writer.mjs';

interface Addon {
  start(opts: Record<string, unknown>, onBatch: (b: Uint8Array) => void, onEnd: (e: Error | null) => void): object;
  stop(h: object): void;
}

/** The options of config.ts that reach the addon under the same name. */
const ADDON_KEYS = ['captureBufferBytes', 'maxConcurrentConnections', 'connectionIdleTimeoutMs', 'maxBufferedBytes'] as const;

let dir: string;
let file: string;
let addon: Addon;

beforeAll(() => {
  requireBuilt(ADDON);
  addon = createRequire(__filename)(ADDON) as Addon;
  dir = mkdtempSync(path.join(tmpdir(), 'budget-limits-'));
  file = path.join(dir, 'one.pcap');
  const w = new PcapWriter(file);
  const c = w.open({ ip: [10, 0, 0, 2], port: 40000 }, { ip: [10, 0, 0, 1], port: 80 });
  w.send(c, true, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  w.close(c);
  w.end();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The addon's verdict on the options sniffer.ts would pass for `cfg`, with one value replaced. */
async function addonVerdict(key: string, value: number): Promise<string> {
  const cfg = validateConfig({ captureFile: file });
  const opts: Record<string, unknown> = {
    file, ports: cfg.ports, snaplen: LIMITS.capture.snaplen, captureBufferBytes: cfg.captureBufferBytes,
    sampleRate: cfg.sampleRate, maxConcurrentConnections: cfg.maxConcurrentConnections,
    connectionIdleTimeoutMs: cfg.connectionIdleTimeoutMs, maxBufferedBytes: cfg.maxBufferedBytes,
    batchBytes: LIMITS.capture.batchBytes, maxQueuedBytes: LIMITS.capture.maxQueuedBytes, reuseBatches: true,
    [key]: value,
  };
  let onEnd!: (e: Error | null) => void;
  const ended = new Promise<Error | null>((resolve) => (onEnd = resolve));
  try {
    addon.start(opts, () => undefined, onEnd);
  } catch (e) {
    const err = e as Error & { code?: string };
    return `${err.code}: ${err.message}`;
  }
  const err = await ended;
  return err === null ? 'ok' : `ended: ${err.message}`;
}

describe('numeric limits: TS and the capture addon agree', () => {
  it('takes every option the addon takes from the one table', () => {
    for (const key of ADDON_KEYS) expect(INTEGER_LIMITS[key]).toBeDefined();
  });

  it.each(ADDON_KEYS)('%s: both accept the minimum and the maximum, both refuse one past either with the same rule', async (key) => {
    const { min, max } = INTEGER_LIMITS[key];
    for (const ok of [min, max]) {
      expect(() => validateConfig({ captureFile: file, [key]: ok })).not.toThrow();
      expect(await addonVerdict(key, ok)).toBe('ok');
    }
    for (const bad of [min - 1, max + 1]) {
      expect(() => validateConfig({ captureFile: file, [key]: bad })).toThrow(`invalid ${key}: ${RULES[key]}`);
      expect(await addonVerdict(key, bad)).toBe(`INVALID_OPTION: capture option \`${key}\`: must be an ${RULES[key]}`);
    }
  });

  it('sampleRate: the same range in both', async () => {
    expect(await addonVerdict('sampleRate', 1)).toBe('ok');
    expect(await addonVerdict('sampleRate', 0)).toBe('ok');
    expect(() => validateConfig({ captureFile: file, sampleRate: 1.000001 })).toThrow('invalid sampleRate');
    expect(await addonVerdict('sampleRate', 1.000001)).toMatch(/^INVALID_OPTION: capture option `sampleRate`: must be a number from 0 to 1$/);
  });
});
