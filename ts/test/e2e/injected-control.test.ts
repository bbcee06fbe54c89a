// Control segments any client can send with a raw socket, crafted into a real capture: 60 connections
// of three exchanges each (a 3.5 s pause after the first, longer than the shim's hole timeout), and
// after each first response one segment from the client that the server would drop or answer with a
// challenge ACK: a RST a million bytes past the server's window, a bare SYN 2^31 away, or a FIN 2^29
// ahead. The server kept every connection, so all 180 exchanges must come out, and each injected
// segment must be counted in the capture stats of the "stopped" log line.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordLoopbackCapture } from '../helpers/capture';
import { checkExchanges, onConnectionsOf } from '../helpers/exchanges';
import { craftReply, readPcap, tcpOf, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, writePcap } from '../helpers/pcap';
import { requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';
import { readCapture } from '../helpers/sniffer';

const MAX_BODY = 65536;
const work = mkdtempSync(path.join(os.tmpdir(), 'tsn-injected-'));

afterAll(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

type Kind = 'rst' | 'syn' | 'fin';

/**
 * Inserts one crafted client segment per connection right after the server's first data frame (the first
 * response), cycling through RST, SYN and FIN by the order the connections first appear.
 */
function inject(file: string, out: string, serverPort: number): Map<Kind, number> {
  const pcap = readPcap(file);
  const serverShift = new Map<number, number>(); // client port -> the server's window shift
  const order: number[] = [];
  const done = new Set<number>();
  const counts = new Map<Kind, number>([['rst', 0], ['syn', 0], ['fin', 0]]);
  const frames = [];
  for (const f of pcap.frames) {
    frames.push(f);
    const t = tcpOf(f.data);
    if (!t) continue;
    const fromServer = t.srcPort === serverPort;
    const client = fromServer ? t.dstPort : t.srcPort;
    if (!order.includes(client)) order.push(client);
    if (fromServer && (t.flags & TCP_SYN)) serverShift.set(client, t.windowScale < 0 ? 0 : t.windowScale);
    if (!fromServer || t.payloadLength === 0 || done.has(client) || !serverShift.has(client)) continue;
    done.add(client);
    // The server acknowledged every request byte (the response acks them): the client's next sequence
    // number is `ack`, and the server accepts nothing past ack + its scaled window.
    const next = t.ack;
    const edge = next + t.window * 2 ** serverShift.get(client)!;
    const kind = (['rst', 'syn', 'fin'] as const)[order.indexOf(client) % 3];
    const reply = t.seq + t.payloadLength;
    const crafted = kind === 'rst' ? craftReply(f.data, edge + 1_000_000, 0, TCP_RST, 512)
      : kind === 'syn' ? craftReply(f.data, next + 2 ** 31, 0, TCP_SYN, 512)
        : craftReply(f.data, next + 2 ** 29, reply, TCP_FIN | TCP_ACK, 512);
    frames.push({ tsSec: f.tsSec, tsUsec: f.tsUsec, data: crafted, origLen: crafted.length });
    counts.set(kind, counts.get(kind)! + 1);
  }
  writePcap(out, { header: pcap.header, frames });
  return counts;
}

describe('control segments injected by clients, read with --read', () => {
  it('keeps every connection: all 180 exchanges come out, every injected segment is counted', async () => {
    requireBuilt();
    const whole = path.join(work, 'whole.pcap');
    const injected = path.join(work, 'injected.pcap');
    const { truth, port } = await recordLoopbackCapture(whole, 'control', MAX_BODY);
    expect(truth).toHaveLength(180);
    const counts = inject(whole, injected, port);
    expect([...counts.values()]).toEqual([20, 20, 20]);

    const r = await readCapture(injected, ['--ports', String(port)]);
    expect(r.code, r.stderr).toBe(0);
    const problems = checkExchanges(truth, onConnectionsOf(truth, r.messages), {
      server: { ip: '127.0.0.1', port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
    });
    expect(problems).toEqual([]);
    // One connection per client socket: none was restarted at a forged sequence number.
    const ids = new Set(onConnectionsOf(truth, r.messages).map((m) => m.connectionId));
    expect(ids.size).toBe(60);

    const stopped = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'stopped') as { capture?: Record<string, number> } | undefined;
    expect(stopped?.capture, r.stderr).toBeDefined();
    expect(stopped!.capture!.rstIgnored).toBe(20);
    expect(stopped!.capture!.synIgnored).toBe(20);
    expect(stopped!.capture!.finIgnored).toBe(20);
  });
});
