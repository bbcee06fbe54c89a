// Classic pcap files (what tcpdump -w writes) read into frames and written back, and the IPv4/TCP fields
// of an Ethernet frame: enough to craft segments into a real capture. Not a general pcap library:
// little-endian files, microsecond timestamps, Ethernet + IPv4 frames.
import { readFileSync, writeFileSync } from 'node:fs';

export interface PcapFrame {
  tsSec: number;
  tsUsec: number;
  data: Buffer;
  origLen: number;
}

export interface Pcap {
  header: Buffer; // the 24-byte global header, kept as it was
  frames: PcapFrame[];
}

const MAGIC_LE_USEC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;

export function readPcap(file: string): Pcap {
  const b = readFileSync(file);
  if (b.readUInt32LE(0) !== MAGIC_LE_USEC) throw new Error(`${file}: not a little-endian microsecond pcap`);
  if (b.readUInt32LE(20) !== LINKTYPE_ETHERNET) throw new Error(`${file}: link type ${b.readUInt32LE(20)}, expected Ethernet`);
  const frames: PcapFrame[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const incl = b.readUInt32LE(o + 8);
    frames.push({ tsSec: b.readUInt32LE(o), tsUsec: b.readUInt32LE(o + 4), origLen: b.readUInt32LE(o + 12),
      data: Buffer.from(b.subarray(o + 16, o + 16 + incl)) });
    o += 16 + incl;
  }
  return { header: Buffer.from(b.subarray(0, 24)), frames };
}

export function writePcap(file: string, pcap: Pcap): void {
  const parts: Buffer[] = [pcap.header];
  for (const f of pcap.frames) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(f.tsSec, 0);
    h.writeUInt32LE(f.tsUsec, 4);
    h.writeUInt32LE(f.data.length, 8);
    h.writeUInt32LE(f.origLen, 12);
    parts.push(h, f.data);
  }
  writeFileSync(file, Buffer.concat(parts));
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  windowScale: number; // a SYN's option, -1 without
  payloadLength: number;
}

/** The TCP fields of an Ethernet + IPv4 frame, or null for anything else. */
export function tcpOf(frame: Buffer): TcpFields | null {
  if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== 0x0800) return null;
  const ihl = (frame[14] & 0x0f) * 4;
  if (frame[14 + 9] !== 6) return null;
  const t = 14 + ihl;
  const doff = (frame[t + 12] >> 4) * 4;
  const flags = frame[t + 13];
  let windowScale = -1;
  for (let o = t + 20; (flags & TCP_SYN) && o < t + doff;) {
    const kind = frame[o];
    if (kind === 0) break;
    if (kind === 1) { o++; continue; }
    if (kind === 3) windowScale = frame[o + 2];
    o += Math.max(2, frame[o + 1]);
  }
  return {
    srcPort: frame.readUInt16BE(t), dstPort: frame.readUInt16BE(t + 2),
    seq: frame.readUInt32BE(t + 4), ack: frame.readUInt32BE(t + 8), flags, window: frame.readUInt16BE(t + 14),
    windowScale, payloadLength: frame.readUInt16BE(14 + 2) - ihl - doff,
  };
}

/**
 * A bare TCP segment (no payload, no options) going the other way from `frame`: its addresses and ports
 * swapped, with the given sequence number, acknowledgement and flags, as a raw socket would send it.
 */
export function craftReply(frame: Buffer, seq: number, ack: number, flags: number, window: number): Buffer {
  const ihl = (frame[14] & 0x0f) * 4;
  const out = Buffer.alloc(14 + 20 + 20);
  frame.copy(out, 0, 6, 12); // destination MAC: the frame's source
  frame.copy(out, 6, 0, 6);
  out.writeUInt16BE(0x0800, 12);
  out[14] = 0x45;
  out.writeUInt16BE(40, 16);
  out.writeUInt16BE(0x4000, 20); // don't fragment
  out[22] = 64;
  out[23] = 6;
  frame.copy(out, 26, 14 + 16, 14 + 20); // source address: the frame's destination
  frame.copy(out, 30, 14 + 12, 14 + 16);
  const t = 34;
  out.writeUInt16BE(frame.readUInt16BE(14 + ihl + 2), t);
  out.writeUInt16BE(frame.readUInt16BE(14 + ihl), t + 2);
  out.writeUInt32BE(seq >>> 0, t + 4);
  out.writeUInt32BE(ack >>> 0, t + 8);
  out[t + 12] = 5 << 4;
  out[t + 13] = flags;
  out.writeUInt16BE(window, t + 14);
  return out; // checksums left 0: the sniffer does not check them (offload leaves them wrong in real captures)
}
