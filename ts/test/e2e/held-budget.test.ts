// Issue 9, item 4, end to end: 2,000 connections that each send a request line and a 60 KiB header line
// with no CRLF, then stay silent, among ordinary exchanges, read by the CLI with --max-buffered-bytes
// 16777216. What the core holds must stay within the one budget; the cuts are counted under the name the
// stop log shows and flagged on the messages; the ordinary traffic still decodes whole.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs helper (shared with bench/), without type declarations
import { writeHeldHeaderCapture } from '../helpers/pcap-writer.mjs';
import { readCapture } from '../helpers/sniffer.js';

const BUDGET = 16 * 1024 * 1024;
const HELD = 2000;
const ORDINARY = 200;
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'budget-held-'));
  file = path.join(dir, 'held.pcap');
  writeHeldHeaderCapture(file, { held: HELD, lineBytes: 60 * 1024, ordinary: ORDINARY });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one maxBufferedBytes over everything held per connection', () => {
  it('keeps the partial header lines of 2,000 silent connections within the budget, cutting and counting', async () => {
    const r = await readCapture(file, ['--max-buffered-bytes', String(BUDGET)], 300_000);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const stopped = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>)
      .find((l) => l.message === 'stopped');
    expect(stopped).toBeDefined();
    const decoder = stopped!.decoder as Record<string, number>;
    // Without the ledger the 2,000 header arenas (~120 MB) were counted nowhere: heldBytesPeak did not exist.
    expect(decoder.heldBytesPeak).toBeGreaterThan(BUDGET / 2);
    expect(decoder.heldBytesPeak).toBeLessThanOrEqual(BUDGET);
    expect(decoder.heldLimit).toBeLessThanOrEqual(BUDGET);
    expect(decoder.heldBytes).toBe(0); // every connection closed at the end of the file
    expect(decoder.heldCuts).toBeGreaterThan(HELD / 2);
    // Reassembly held nothing here (every segment in order), so the core had the whole budget.
    expect(stopped!.capture.bufferedBytes).toBe(0);

    const cut = r.messages.filter((m) => typeof m.error === 'string' && m.error.startsWith('cut: maxBufferedBytes'));
    expect(cut.length).toBe(decoder.heldCuts);
    for (const m of cut) {
      expect(m).toMatchObject({ direction: 'request', method: 'GET', incomplete: true });
      expect(m.path).toMatch(/^\/held\/\d+$/);
      expect(m.headers).toEqual({ host: 'victim' });
    }
    // The rest of the held connections end at the end of the file, incomplete, as before.
    expect(r.messages.filter((m) => m.path?.startsWith('/held/')).length).toBe(HELD);
    // The ordinary exchanges around them decode whole and paired.
    const ordinary = r.messages.filter((m) => !m.path?.startsWith('/held/'));
    expect(ordinary.length).toBe(2 * ORDINARY);
    for (const m of ordinary) {
      expect(m.incomplete ?? false).toBe(false);
      expect(m.error ?? null).toBe(null);
      if (m.direction === 'response') expect(m).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    }
  }, 320_000);
});
