// Live capture reads the kernel's ring in blocks (capture-shim/README.md, "Live: blocks, not packets").
// What that could break, checked end to end with createSniffer on loopback: a message on a quiet link
// still arrives within the stated bound, and a stop right after the traffic loses nothing and repeats
// nothing.
import http from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpMessage, Sniffer, SnifferConfig } from '../../src/types';
import { checkExchanges, onConnectionsOf } from '../helpers/exchanges';
import { INDEX_JS, requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';
import { runClient, startNodeServer, type Server } from '../helpers/servers';

/** The bound stated in capture-shim/README.md and docs/configuration.md ("Latency"). */
const QUIET_LINK_BOUND_MS = 100;
const MAX_BODY = 65536;

let server: Server;
let createSniffer: (c: SnifferConfig) => Sniffer;

beforeAll(async () => {
  requireBuilt();
  ({ createSniffer } = createRequire(__filename)(INDEX_JS) as { createSniffer: typeof createSniffer });
  server = await startNodeServer('127.0.0.1');
});

afterAll(async () => {
  await killAll();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const probe = () => runClient(`http://127.0.0.1:${server.port}`, 'probe', 16);

interface Received {
  message: HttpMessage;
  /** Date.now() when the callback got it. */
  at: number;
}

/** A sniffer on lo delivering to an array, started and seen capturing (a probe came through). */
async function capturing(got: Received[]): Promise<Sniffer> {
  const sniffer = createSniffer({
    ports: [server.port], interface: 'lo', onHttpMessage: (message) => void got.push({ message, at: Date.now() }),
  });
  await sniffer.start();
  const deadline = Date.now() + 30_000;
  while (!got.some((r) => r.message.path?.includes('probe'))) {
    if (Date.now() > deadline) throw new Error('no probe message in 30 s');
    await probe();
    await sleep(200);
  }
  return sniffer;
}

describe('live capture in blocks', () => {
  it('delivers a response on a quiet link within the stated bound of its last packet', async () => {
    const got: Received[] = [];
    const sniffer = await capturing(got);
    try {
      const late: string[] = [];
      for (let i = 0; i < 3; i++) {
        await sleep(300); // quiet: nothing else fills the kernel's block
        // The client in this process: no child process starting or exiting around the measurement.
        const port = await new Promise<number>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port: server.port, path: `/size/1?quiet-${i}`, agent: false }, (res) => {
            const local = res.socket.localPort!;
            res.resume().on('end', () => resolve(local)).on('error', reject);
          }).on('error', reject);
        });
        const until = Date.now() + 10_000;
        let response: Received | undefined;
        let request: Received | undefined;
        while ((response === undefined || request === undefined) && Date.now() < until) {
          await sleep(5);
          request = got.find((r) => r.message.direction === 'request' && r.message.source?.port === port);
          response = got.find((r) => r.message.direction === 'response' && r.message.destination?.port === port);
        }
        expect(request, `request ${i}`).toBeDefined();
        expect(response, `response ${i}`).toBeDefined();
        // Capture times: the request's first byte plus elapsedMs is the response's last packet.
        const lastPacket = Date.parse(request!.message.timestamp!) + response!.message.elapsedMs!;
        const latency = response!.at - lastPacket;
        if (!(latency <= QUIET_LINK_BOUND_MS)) late.push(`exchange ${i}: ${latency} ms`);
      }
      expect(late, `over ${QUIET_LINK_BOUND_MS} ms`).toEqual([]);
    } finally {
      await sniffer.stop();
    }
  });

  it('stop() right after the traffic still emits every exchange, each exactly once', async () => {
    const got: Received[] = [];
    const sniffer = await capturing(got);
    const truth = await runClient(`http://127.0.0.1:${server.port}`, 'small', MAX_BODY);
    await sniffer.stop(); // at once: the last packets may still sit in a block the kernel has not handed over
    const messages = onConnectionsOf(truth, got.map((r) => r.message));
    const problems = checkExchanges(truth, messages, {
      server: { ip: '127.0.0.1', port: server.port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
    });
    expect(problems, JSON.stringify(sniffer.stats().capture)).toEqual([]);
    expect(sniffer.stats().capture.kernelDropped).toBe(0);
  });
});
