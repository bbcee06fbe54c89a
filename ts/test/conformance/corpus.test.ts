// Conformance against ../shared/corpus: every capture decoded offline by `cli.js --read` (no --ports:
// every TCP connection) and compared with tshark's reading (expected/NAME.jsonl). Prints the match rate;
// requires >= 95% of tshark's messages; never a crash or a hang, including on the captures tshark finds
// no HTTP in. Every mismatch must be listed, with its reason, in tests/conformance/mismatches.md, and
// every listed one must still occur, so the list stays true.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareCapture, listedKeys, type Expected, type Mismatch } from '../helpers/corpus';
import { CORPUS_DIR, REPO_DIR, requireBuilt } from '../helpers/paths';
import type { Message } from '../helpers/sniffer';
import { readCapture } from '../helpers/sniffer';

const MISMATCH_FILE = path.join(REPO_DIR, 'tests/conformance/mismatches.md');
const present = existsSync(path.join(CORPUS_DIR, 'pcaps'));
if (!present) {
  console.log(`conformance: the corpus is absent (${CORPUS_DIR}), so the conformance suite does not run`);
}

interface Outcome {
  name: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stderr: string;
  messages: Message[];
}

/** Runs `work` over `items`, `width` at a time (the machine has 2 cores). */
async function pool<T, R>(items: T[], width: number, work: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  }));
  return out;
}

describe.skipIf(!present)('conformance with tshark on the shared corpus', () => {
  it('decodes every capture without a crash or hang and matches >= 95% of tshark\'s messages', async () => {
    requireBuilt();
    const names = readdirSync(path.join(CORPUS_DIR, 'pcaps')).sort();
    const outcomes = await pool(names, 2, async (name): Promise<Outcome> => {
      const r = await readCapture(path.join(CORPUS_DIR, 'pcaps', name), [], 60_000);
      return { name, code: r.code, signal: r.signal, timedOut: r.timedOut, stderr: r.stderr, messages: r.messages };
    });

    // Robustness first: every capture read to its end with exit 0, nothing on stdout but messages.
    // The one exception is docs/architecture.md's (exit codes): a file damaged partway (libpcap cannot read on) emits what it
    // decoded before the damage, then exits 2 with libpcap's message; its messages are compared as usual.
    const damaged = (o: Outcome) => o.code === 2 && o.signal === null && !o.timedOut &&
      /"code":"CAPTURE_READ_FAILED"/.test(o.stderr);
    const broken = outcomes.filter((o) => o.timedOut || o.signal !== null || (o.code !== 0 && !damaged(o)))
      .map((o) => `${o.name}: ${o.timedOut ? 'hung (60 s)' : `exit ${o.code} ${o.signal ?? ''}`} ${o.stderr.slice(-400)}`);
    expect(broken).toEqual([]);
    for (const o of outcomes.filter(damaged)) {
      const line = o.stderr.split('\n').filter((l) => l.includes('CAPTURE_READ_FAILED')).pop() ?? '';
      const why = /"message":"([^"]*)"/.exec(line)?.[1];
      console.log(`conformance: ${o.name} is damaged (exit 2: ${why}); ${o.messages.length} messages decoded before it`);
    }

    let total = 0;
    let matched = 0;
    const mismatches: Mismatch[] = [];
    const extras: string[] = [];
    for (const o of outcomes) {
      const stem = o.name.replace(/\.pcapng$|\.pcap$/, '');
      const text = readFileSync(path.join(CORPUS_DIR, 'expected', `${stem}.jsonl`), 'utf8');
      const expected = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Expected);
      const c = compareCapture(o.name, expected, o.messages);
      total += expected.length;
      matched += c.matched;
      mismatches.push(...c.mismatches);
      if (c.extras.length) extras.push(`${o.name}: ${c.extras.length}`);
    }
    const rate = total ? (100 * matched) / total : 0;
    console.log(`conformance: ${matched}/${total} messages match tshark (${rate.toFixed(2)}%) over ${names.length} captures`);
    console.log(`conformance: messages tshark has none for, per capture (not counted): ${extras.join(', ') || 'none'}`);

    const listed = listedKeys(existsSync(MISMATCH_FILE) ? readFileSync(MISMATCH_FILE, 'utf8') : '');
    const unlisted = mismatches.filter((m) => !listed.has(m.key));
    const unexplained = [...listed].filter(([, reason]) => reason.trim().length < 10).map(([k]) => k);
    const found = new Set(mismatches.map((m) => m.key));
    const stale = [...listed.keys()].filter((k) => !found.has(k));
    if (unlisted.length) {
      console.log(`conformance: ${unlisted.length} mismatches not in tests/conformance/mismatches.md:\n` +
        unlisted.map((m) => `- \`${m.key}\` ${m.reason}`).join('\n'));
    }
    const changed = mismatches.filter((m) => listed.has(m.key) && !listed.get(m.key)!.startsWith(m.reason));
    if (changed.length) {
      console.log(`conformance: listed mismatches whose details changed (check the reason still holds):\n` +
        changed.map((m) => `- \`${m.key}\` ${m.reason}`).join('\n'));
    }
    if (stale.length) console.log(`conformance: listed but no longer mismatched (remove them): ${stale.join(', ')}`);

    expect(total).toBe(1803);
    expect(rate).toBeGreaterThanOrEqual(95);
    expect(unlisted.map((m) => `${m.key} ${m.reason}`)).toEqual([]);
    expect(stale).toEqual([]);
    expect(unexplained).toEqual([]); // each entry says why
  }, 900_000);
});
