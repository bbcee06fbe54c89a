// Writes classic pcap files of made-up TCP conversations (Ethernet, IPv4, TCP; no checksums: the shim
// does not verify them), for captures no real client would send politely: the budget test and
// bench/make-held-capture.mjs. Each segment carries at most `mss` payload bytes, as on a real wire.
import { openSync, writeSync, closeSync } from 'node:fs';

const FLAGS = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 };

export class PcapWriter {
  /** `path`: the file to write; `startUs`: the first packet's capture time in µs. */
  constructor(path, startUs = 1_700_000_000_000_000) {
    this.fd = openSync(path, 'w');
    this.ts = startUs;
    this.pending = [];
    this.pendingBytes = 0;
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(1, 20); // DLT_EN10MB
    this.write(header);
  }

  /** One frame from `src` to `dst` ({ip: [a,b,c,d], port}), `stepUs` after the previous one. */
  segment(src, dst, seq, ack, flags, payload = Buffer.alloc(0), stepUs = 10) {
    const frame = Buffer.alloc(14 + 20 + 20 + payload.length);
    frame.writeUInt16BE(0x0800, 12);
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(40 + payload.length, ip + 2);
    frame[ip + 8] = 64;
    frame[ip + 9] = 6;
    Buffer.from(src.ip).copy(frame, ip + 12);
    Buffer.from(dst.ip).copy(frame, ip + 16);
    const tcp = ip + 20;
    frame.writeUInt16BE(src.port, tcp);
    frame.writeUInt16BE(dst.port, tcp + 2);
    frame.writeUInt32BE(seq >>> 0, tcp + 4);
    frame.writeUInt32BE(ack >>> 0, tcp + 8);
    frame[tcp + 12] = 5 << 4;
    frame[tcp + 13] = flags;
    frame.writeUInt16BE(65535, tcp + 14);
    payload.copy(frame, tcp + 20);
    this.ts += stepUs;
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(this.ts / 1e6), 0);
    rec.writeUInt32LE(this.ts % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    this.write(rec);
    this.write(frame);
  }

  /** Opens a connection: the handshake. Returns its state for `send` and `close`. */
  open(client, server) {
    const c = { client, server, cseq: 1000, sseq: 5000 };
    this.segment(client, server, c.cseq, 0, FLAGS.syn);
    this.segment(server, client, c.sseq, c.cseq + 1, FLAGS.syn | FLAGS.ack);
    c.cseq += 1;
    c.sseq += 1;
    this.segment(client, server, c.cseq, c.sseq, FLAGS.ack);
    return c;
  }

  /** `bytes` from the client (`fromClient`) or the server, cut into segments of at most `mss` bytes. */
  send(c, fromClient, bytes, mss = 1448) {
    for (let off = 0; off < bytes.length; off += mss) {
      const piece = bytes.subarray(off, Math.min(bytes.length, off + mss));
      if (fromClient) {
        this.segment(c.client, c.server, c.cseq, c.sseq, FLAGS.ack | FLAGS.psh, piece);
        c.cseq += piece.length;
      } else {
        this.segment(c.server, c.client, c.sseq, c.cseq, FLAGS.ack | FLAGS.psh, piece);
        c.sseq += piece.length;
      }
    }
  }

  /** Both FINs and the last ACK. */
  close(c) {
    this.segment(c.client, c.server, c.cseq, c.sseq, FLAGS.fin | FLAGS.ack);
    this.segment(c.server, c.client, c.sseq, c.cseq + 1, FLAGS.fin | FLAGS.ack);
    this.segment(c.client, c.server, c.cseq + 1, c.sseq + 1, FLAGS.ack);
  }

  end() {
    this.flush();
    closeSync(this.fd);
  }

  write(buf) {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  flush() {
    if (this.pending.length === 0) return;
    const all = Buffer.concat(this.pending);
    let off = 0;
    while (off < all.length) off += writeSync(this.fd, all, off);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Client `10.1.x.y:port` number `i` (distinct 4-tuples for many connections). */
export function clientEndpoint(i) {
  return { ip: [10, 1, (i >> 8) & 0xff, i & 0xff], port: 20000 + (i % 40000) };
}

/**
 * The capture of issue 9, item 4: `held` connections that each send a request line and a header line of
 * `lineBytes` bytes with no CRLF, then stay silent (open to the end of the file), interleaved with
 * `ordinary` complete keep-alive exchanges on other connections, which must still decode.
 */
export function writeHeldHeaderCapture(path, { held = 2000, lineBytes = 60 * 1024, ordinary = 200, port = 8080 } = {}) {
  const w = new PcapWriter(path);
  const server = { ip: [10, 0, 0, 1], port };
  const line = Buffer.alloc(lineBytes, 'a');
  Buffer.from('X-Long: ').copy(line);
  const conns = [];
  for (let i = 0; i < held; i++) {
    const c = w.open(clientEndpoint(i), server);
    w.send(c, true, Buffer.from(`GET /held/${i} HTTP/1.1\r\nHost: victim\r\n`));
    conns.push(c);
  }
  // The long lines go out a segment at a time across all connections, as a slow attacker would send them.
  const mss = 1448;
  for (let off = 0; off < lineBytes; off += mss) {
    for (const c of conns) w.send(c, true, line.subarray(off, Math.min(lineBytes, off + mss)), mss);
  }
  const body = Buffer.from('{"ok":true}');
  for (let i = 0; i < ordinary; i++) {
    const c = w.open(clientEndpoint(held + i), server);
    w.send(c, true, Buffer.from(`GET /ordinary/${i} HTTP/1.1\r\nHost: svc\r\n\r\n`));
    w.send(c, false, Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    w.close(c);
  }
  w.end();
}
