// A loopback device shows each packet to a capture twice (as sent and as received); the kernel keeps one
// copy for the sniffer (capture-shim/loopback_copies.h). Checked end to end with real servers and clients:
// on `lo`, and on `any` inside a network namespace where the same server is reached both across a veth
// pair (whose sent packets are the only copy and must all arrive) and over the namespace's own loopback.
// The capture's own counters tell the copies apart: kernelReceived counts what the kernel put in the ring,
// packetsSeen what the capture read from it.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpMessage, Sniffer, SnifferConfig } from '../../src/types';
import { checkExchanges, expectedMessageCount, onConnectionsOf } from '../helpers/exchanges';
import { createNetnsPair, type NetnsPair } from '../helpers/netns';
import { INDEX_JS, requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';
import { runClient, startNodeServer, type Server } from '../helpers/servers';
import { LiveSniffer } from '../helpers/sniffer';

const MAX_BODY = 65536;

let createSniffer: (c: SnifferConfig) => Sniffer;
let pair: NetnsPair | undefined;

beforeAll(() => {
  requireBuilt();
  ({ createSniffer } = createRequire(__filename)(INDEX_JS) as { createSniffer: typeof createSniffer });
});

afterAll(async () => {
  try {
    await killAll();
  } finally {
    pair?.remove();
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RingCounts {
  kernelReceived: number;
  kernelDropped: number;
  packetsSeen: number;
}

/** About one packet in the ring per packet read: twice as many would mean loopback's twins got in. */
function expectOneCopyPerPacket(c: RingCounts): void {
  const what = JSON.stringify(c);
  expect(c.kernelDropped, what).toBe(0);
  expect(c.packetsSeen, what).toBeGreaterThan(50);
  expect(c.kernelReceived, what).toBeGreaterThanOrEqual(c.packetsSeen);
  expect(c.kernelReceived, what).toBeLessThan(c.packetsSeen * 1.25);
}

describe('one copy of each loopback packet in the kernel ring', () => {
  it('on lo: every exchange emitted exactly once, the ring received about one packet per packet read', async () => {
    const server = await startNodeServer('127.0.0.1');
    const base = `http://127.0.0.1:${server.port}`;
    const got: HttpMessage[] = [];
    const sniffer = createSniffer({ ports: [server.port], interface: 'lo', onHttpMessage: (m) => void got.push(m) });
    await sniffer.start();
    const deadline = Date.now() + 30_000;
    while (!got.some((m) => m.path?.includes('probe'))) {
      if (Date.now() > deadline) throw new Error('no probe message in 30 s');
      await runClient(base, 'probe', 16);
      await sleep(200);
    }
    const truth = await runClient(base, 'full', MAX_BODY);
    const want = expectedMessageCount(truth);
    for (const until = Date.now() + 30_000; onConnectionsOf(truth, got).length < want && Date.now() < until;) await sleep(50);
    await sniffer.stop();
    const problems = checkExchanges(truth, onConnectionsOf(truth, got), {
      server: { ip: '127.0.0.1', port: server.port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
    });
    expect(problems).toEqual([]);
    expectOneCopyPerPacket(sniffer.stats().capture as RingCounts);
  });

  it('on any in a namespace: both directions across a veth arrive, and loopback traffic once', async () => {
    pair = createNetnsPair('cap', 78);
    const inServer = pair.inNs(pair.serverNs);
    const server = await startNodeServer(pair.serverIp, inServer);
    const base = `http://${pair.serverIp}:${server.port}`;
    const inClient = pair.inNs(pair.clientNs);
    const sniffer = new LiveSniffer('any', [server.port], [], inServer);
    await sniffer.waitUntilCapturing(() => runClient(base, 'probe', 16, inClient), 60_000);
    // Across the veth: the server's packets leave on it (sent), the client's arrive (received).
    const across = await runClient(base, 'full', MAX_BODY, inClient);
    // Inside the server's namespace, to its own address: over that namespace's loopback device.
    const local = await runClient(base, 'full', MAX_BODY, inServer);
    const want = expectedMessageCount(across) + expectedMessageCount(local);
    await sniffer.waitForCount(want, 60_000, (ms) => [...onConnectionsOf(across, ms), ...onConnectionsOf(local, ms)]);
    const exit = await sniffer.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    const problems = [
      ...checkExchanges(across, onConnectionsOf(across, sniffer.messages()), {
        server: { ip: pair.serverIp, port: server.port }, clientIp: pair.clientIp, maxBodySize: MAX_BODY,
      }),
      ...checkExchanges(local, onConnectionsOf(local, sniffer.messages()), {
        server: { ip: pair.serverIp, port: server.port }, clientIp: pair.serverIp, maxBodySize: MAX_BODY,
      }),
    ];
    expect(problems, `the sniffer's log:\n${sniffer.child.tail()}`).toEqual([]);
    const stopped = sniffer.child.stderr.split('\n').filter((l) => l.includes('"stopped"')).map((l) => JSON.parse(l));
    expect(stopped.length, sniffer.child.tail()).toBe(1);
    expectOneCopyPerPacket(stopped[0].capture as RingCounts);
  }, 120_000);
});
