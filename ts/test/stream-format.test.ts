// The TS writers of the stream-event format (src/wasm/events.ts) against the one definition,
// stream-format/stream_event_format.h (every constant compared), and against the golden bytes of
// fixtures/stream-events/cases.md, which the C++ writers and readers are held to as well.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as events from '../src/wasm/events.js';
import { REPO_DIR } from './helpers/paths.js';
// @ts-expect-error: a plain .mjs module shared with the .wasm smoke test, without type declarations
import { readGoldenCases } from '../../tests/stream-format/golden_cases.mjs';

const HEADER = path.join(REPO_DIR, 'stream-format/stream_event_format.h');

/** Every named number of the header: enum members (as Enum::kName) and constexpr sizes (as kName). */
function headerConstants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/enum (class )?(\w+) : \w+ \{([^}]*)\}/g)) {
    const scoped = m[1] !== undefined;
    for (const member of m[3]!.matchAll(/(k\w+) = (\d+)/g)) {
      out.set(scoped ? `${m[2]}::${member[1]}` : member[1]!, Number(member[2]));
    }
  }
  for (const m of text.matchAll(/inline constexpr size_t (k\w+) = (\d+);/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

// The TS name of a header constant: kOpenClientPortOffset -> OPEN_CLIENT_PORT_OFFSET; scoped enum
// members take their enum's prefix (EventKind::kOpen -> KIND_OPEN); the sizes keep their older names.
const ENUM_PREFIX: Record<string, string> = { EventKind: 'KIND_', Direction: 'DIR_', CloseReason: 'CLOSE_', IpVersion: 'IP_' };
const RENAMED: Record<string, string> = {
  kHeaderSize: 'EVENT_HEADER_BYTES', kOpenPayloadSize: 'OPEN_PAYLOAD_BYTES', kGapPayloadSize: 'GAP_PAYLOAD_BYTES',
  kClosePayloadSize: 'CLOSE_PAYLOAD_BYTES',
};
function tsName(headerName: string): string {
  const [scope, name] = headerName.includes('::') ? headerName.split('::') : ['', headerName];
  if (!scope && RENAMED[name!]) return RENAMED[name!]!;
  const snake = name!.slice(1).replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return (scope ? ENUM_PREFIX[scope] ?? `${scope}_` : '') + snake;
}

describe('stream-event format: TS against the header', () => {
  const constants = headerConstants(readFileSync(HEADER, 'utf8'));

  it('finds every kind of constant in the header', () => {
    expect(constants.get('EventKind::kClose')).toBe(4);
    expect(constants.get('kHeaderSize')).toBe(24);
    expect(constants.get('kOpenServerPortOffset')).toBe(38);
    expect(constants.size).toBeGreaterThanOrEqual(30);
  });

  it('events.ts has each header constant under its TS name, with the same value', () => {
    const exported = events as unknown as Record<string, unknown>;
    const mismatches = [...constants].filter(([name, value]) => exported[tsName(name)] !== value)
      .map(([name, value]) => `${name} = ${value}: events.ts ${tsName(name)} = ${String(exported[tsName(name)])}`);
    expect(mismatches).toEqual([]);
  });

  it('events.ts has no format constant the header lacks', () => {
    const twins = new Set([...constants.keys()].map(tsName));
    const numbers = Object.entries(events).filter(([, v]) => typeof v === 'number').map(([k]) => k);
    expect(numbers.filter((k) => !twins.has(k))).toEqual([]);
  });
});

interface GoldenEvent {
  kind: 'open' | 'data' | 'gap' | 'close';
  conn: bigint;
  ts: bigint;
  sampled?: boolean;
  client?: { ip: string; port: number };
  server?: { ip: string; port: number };
  dir?: number;
  data?: Uint8Array;
  lost?: bigint;
  reason?: number;
}

/** The batch the TS writers produce for `evs`. */
function writeWithEvents(evs: GoldenEvent[]): Uint8Array {
  const parts = evs.map((e) => {
    const payload = e.kind === 'open' ? events.OPEN_PAYLOAD_BYTES : e.kind === 'gap' ? events.GAP_PAYLOAD_BYTES
      : e.kind === 'data' ? e.data!.length : events.CLOSE_PAYLOAD_BYTES;
    const bytes = new Uint8Array(events.EVENT_HEADER_BYTES + payload);
    const view = new DataView(bytes.buffer);
    const ts = Number(e.ts);
    const at = events.EVENT_HEADER_BYTES;
    if (e.kind === 'open') {
      const client = events.parseIp(e.client!.ip)!;
      const server = events.parseIp(e.server!.ip)!;
      events.writeEventHeader(view, 0, events.KIND_OPEN, e.sampled ? events.OPEN_SAMPLED : 0, payload, e.conn, ts);
      events.writeOpenPayload(view, at, { ...client, port: e.client!.port }, { ...server, port: e.server!.port });
    } else if (e.kind === 'data') {
      events.writeEventHeader(view, 0, events.KIND_DATA, e.dir!, payload, e.conn, ts);
      bytes.set(e.data!, at);
    } else if (e.kind === 'gap') {
      events.writeEventHeader(view, 0, events.KIND_GAP, e.dir!, payload, e.conn, ts);
      events.writeGapPayload(view, at, e.lost!);
    } else {
      events.writeEventHeader(view, 0, events.KIND_CLOSE, e.reason!, payload, e.conn, ts);
    }
    return bytes;
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('stream-event format: golden bytes', () => {
  const cases = readGoldenCases() as { title: string; events: GoldenEvent[]; bytes: Uint8Array }[];

  it.each(cases.map((c) => [c.title, c] as const))('the TS writers write %s', (_title, c) => {
    expect(hex(writeWithEvents(c.events))).toBe(hex(c.bytes));
  });

  it('a changed word changes the bytes (the comparison can fail)', () => {
    const c = cases[0]!;
    const changed = c.events.map((e) => ({ ...e, conn: e.conn + 1n }));
    expect(hex(writeWithEvents(changed))).not.toBe(hex(c.bytes));
  });
});
