// Writers of the stream-event format (docs/internals.md §1): the same bytes the capture shim produces,
// written by the decoder straight into the module's input buffer. Little-endian throughout.
// The constants mirror stream-format/stream_event_format.h (test/stream-format.test.ts compares them
// with the header), and fixtures/stream-events/cases.md pins the bytes these writers produce.

export const EVENT_HEADER_BYTES = 24;
export const KIND_OFFSET = 0;
export const ARG_OFFSET = 1;
export const RESERVED_OFFSET = 2;
export const LEN_OFFSET = 4;
export const CONN_OFFSET = 8;
export const TS_OFFSET = 16;

export const KIND_OPEN = 1;
export const KIND_DATA = 2;
export const KIND_GAP = 3;
export const KIND_CLOSE = 4;

export const DIR_CLIENT_TO_SERVER = 0;
export const DIR_SERVER_TO_CLIENT = 1;

export const CLOSE_FIN = 0;
export const CLOSE_RST = 1;
export const CLOSE_IDLE = 2;
export const CLOSE_EVICTED = 3;
export const CLOSE_SHUTDOWN = 4;

/** The open event's arg: flag bits. */
export const OPEN_SAMPLED = 1;

export const IP_V4 = 4;
export const IP_V6 = 6;

export const OPEN_PAYLOAD_BYTES = 40;
export const OPEN_IP_VERSION_OFFSET = 0;
export const OPEN_CLIENT_ADDR_OFFSET = 4;
export const OPEN_SERVER_ADDR_OFFSET = 20;
export const OPEN_CLIENT_PORT_OFFSET = 36;
export const OPEN_SERVER_PORT_OFFSET = 38;
export const ADDRESS_SIZE = 16;

export const GAP_PAYLOAD_BYTES = 8;
export const CLOSE_PAYLOAD_BYTES = 0;

/** An endpoint in the form the open event carries. */
export interface BinaryEndpoint {
  version: typeof IP_V4 | typeof IP_V6;
  address: Uint8Array; // ADDRESS_SIZE bytes; IPv4 in the first 4
  port: number;
}

/**
 * Writes one event header at `offset`. `tsMicros` < 0 means unknown.
 * REQUIRES: `view` has EVENT_HEADER_BYTES from `offset`; conn is a positive integer.
 */
export function writeEventHeader(
  view: DataView, offset: number, kind: number, arg: number, len: number, conn: bigint, tsMicros: number,
): void {
  view.setUint8(offset + KIND_OFFSET, kind);
  view.setUint8(offset + ARG_OFFSET, arg);
  view.setUint16(offset + RESERVED_OFFSET, 0, true);
  view.setUint32(offset + LEN_OFFSET, len, true);
  view.setBigUint64(offset + CONN_OFFSET, conn, true);
  view.setBigInt64(offset + TS_OFFSET, BigInt(tsMicros < 0 ? -1 : Math.round(tsMicros)), true);
}

/**
 * Writes an open payload at `offset`.
 * REQUIRES: both endpoints have the same IP version; OPEN_PAYLOAD_BYTES fit from `offset`.
 */
export function writeOpenPayload(view: DataView, offset: number, client: BinaryEndpoint, server: BinaryEndpoint): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, OPEN_PAYLOAD_BYTES);
  bytes.fill(0);
  bytes[OPEN_IP_VERSION_OFFSET] = client.version;
  bytes.set(client.address, OPEN_CLIENT_ADDR_OFFSET);
  bytes.set(server.address, OPEN_SERVER_ADDR_OFFSET);
  view.setUint16(offset + OPEN_CLIENT_PORT_OFFSET, client.port, true);
  view.setUint16(offset + OPEN_SERVER_PORT_OFFSET, server.port, true);
}

/**
 * Writes a gap payload (the bytes lost) at `offset`.
 * REQUIRES: GAP_PAYLOAD_BYTES fit from `offset`; lostBytes is a non-negative integer.
 */
export function writeGapPayload(view: DataView, offset: number, lostBytes: bigint): void {
  view.setBigUint64(offset, lostBytes, true);
}

/** Parses an IPv4 dotted quad or an IPv6 text address; null when it is neither. */
export function parseIp(text: string): Omit<BinaryEndpoint, 'port'> | null {
  const address = new Uint8Array(ADDRESS_SIZE);
  if (text.includes(':')) return parseIpv6(text, address) ? { version: IP_V6, address } : null;
  return parseIpv4(text, address, 0) ? { version: IP_V4, address } : null;
}

function parseIpv4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

function parseIpv6(text: string, out: Uint8Array): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // The last group may be an embedded IPv4 address (e.g. ::ffff:10.0.0.1), worth two groups.
  const words: number[] = [];
  const all = [...head, ...(halves.length === 2 ? ['::'] : []), ...tail];
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (g === '::') {
      words.push(-1);
    } else if (i === all.length - 1 && g.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIpv4(g, v4, 0)) return false;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      words.push(parseInt(g, 16));
    } else {
      return false;
    }
  }
  const explicit = words.filter((w) => w >= 0).length;
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return false;
  const expanded: number[] = [];
  for (const w of words) {
    if (w < 0) for (let k = 0; k < 8 - explicit; k++) expanded.push(0);
    else expanded.push(w);
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = expanded[i]! >> 8;
    out[2 * i + 1] = expanded[i]! & 0xff;
  }
  return true;
}
