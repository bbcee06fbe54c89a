// End to end on loopback: real servers (node:http and python's http.server), the real node:http client,
// captured live by the CLI and by createSniffer; every exchange checked against what the client saw.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpMessage, Sniffer, SnifferConfig } from '../../src/types';
import { checkExchanges, expectedMessageCount, onConnectionsOf } from '../helpers/exchanges';
import { INDEX_JS, requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';
import { runClient, startNodeServer, startPythonServer, type Server } from '../helpers/servers';
import { LiveSniffer } from '../helpers/sniffer';

const MAX_BODY = 65536; // the default maxBodySize: the plans' large bodies exceed it

let node: Server;
let python: Server;

beforeAll(async () => {
  requireBuilt();
  node = await startNodeServer('127.0.0.1');
  python = await startPythonServer('127.0.0.1');
});

afterAll(async () => {
  await killAll();
});

const probe = () => runClient(`http://127.0.0.1:${node.port}`, 'probe', 16);

describe('live capture on loopback with the CLI', () => {
  it('reports every exchange of a varied plan exactly (node:http server)', async () => {
    const sniffer = new LiveSniffer('lo', [node.port, python.port]);
    await sniffer.waitUntilCapturing(probe);
    const truth = await runClient(`http://127.0.0.1:${node.port}`, 'full', MAX_BODY);
    // Sanity of the ground truth itself: the plan really has what this test claims to cover.
    expect(truth.some((e) => e.informational.includes(100))).toBe(true);
    expect(truth.some((e) => e.respBodySize > MAX_BODY)).toBe(true);
    expect(truth.filter((e) => e.clientPort === truth[0].clientPort).length).toBeGreaterThan(40);

    const want = expectedMessageCount(truth);
    await sniffer.waitForCount(want, 30_000, (ms) => onConnectionsOf(truth, ms));
    const exit = await sniffer.stop();
    const messages = onConnectionsOf(truth, sniffer.messages());
    const problems = checkExchanges(truth, messages, {
      server: { ip: '127.0.0.1', port: node.port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
    });
    expect(problems, `the sniffer's log:\n${sniffer.child.tail()}`).toEqual([]);
    expect(messages.length).toBe(want);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('reports every exchange with a second server kind (python http.server, HTTP/1.0 responses)', async () => {
    const sniffer = new LiveSniffer('lo', [node.port, python.port]);
    await sniffer.waitUntilCapturing(probe);
    const truth = await runClient(`http://127.0.0.1:${python.port}`, 'python', MAX_BODY);
    expect(truth.filter((e) => e.httpVersion === '1.0').length).toBe(truth.length);
    expect(truth.some((e) => e.status === 404)).toBe(true);

    await sniffer.waitForCount(expectedMessageCount(truth), 30_000, (ms) => onConnectionsOf(truth, ms));
    const exit = await sniffer.stop();
    const messages = onConnectionsOf(truth, sniffer.messages());
    const problems = checkExchanges(truth, messages, {
      server: { ip: '127.0.0.1', port: python.port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
    });
    expect(problems, `the sniffer's log:\n${sniffer.child.tail()}`).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('honours --max-body-size: bodies cut at the limit, sizes still exact', async () => {
    const limit = 100;
    const sniffer = new LiveSniffer('lo', [node.port], ['--max-body-size', String(limit)]);
    await sniffer.waitUntilCapturing(probe);
    const truth = await runClient(`http://127.0.0.1:${node.port}`, 'small', limit);
    await sniffer.waitForCount(expectedMessageCount(truth), 30_000, (ms) => onConnectionsOf(truth, ms));
    const exit = await sniffer.stop();
    const problems = checkExchanges(truth, onConnectionsOf(truth, sniffer.messages()), {
      server: { ip: '127.0.0.1', port: node.port }, clientIp: '127.0.0.1', maxBodySize: limit,
    });
    expect(problems, `the sniffer's log:\n${sniffer.child.tail()}`).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});

describe('live capture on loopback with createSniffer', () => {
  it('delivers every exchange to onHttpMessage, then stops cleanly', async () => {
    const { createSniffer } = createRequire(__filename)(INDEX_JS) as {
      createSniffer: (c: SnifferConfig) => Sniffer;
    };
    const got: HttpMessage[] = [];
    const sniffer = createSniffer({ ports: [node.port], interface: 'lo', onHttpMessage: (m) => void got.push(m) });
    await sniffer.start();
    try {
      expect(sniffer.isRunning()).toBe(true);
      const deadline = Date.now() + 30_000;
      while (!got.some((m) => m.path?.includes('probe'))) {
        if (Date.now() > deadline) throw new Error('createSniffer delivered no probe message in 30 s');
        await probe();
        await new Promise((r) => setTimeout(r, 300));
      }
      const truth = await runClient(`http://127.0.0.1:${node.port}`, 'small', MAX_BODY);
      const want = expectedMessageCount(truth);
      const until = Date.now() + 30_000;
      while (onConnectionsOf(truth, got).length < want && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const problems = checkExchanges(truth, onConnectionsOf(truth, got), {
        server: { ip: '127.0.0.1', port: node.port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
      });
      expect(problems, JSON.stringify(sniffer.stats())).toEqual([]);
      expect(sniffer.stats().messages).toBeGreaterThanOrEqual(want);
    } finally {
      await sniffer.stop();
    }
    expect(sniffer.isRunning()).toBe(false);
    await sniffer.stop(); // idempotent
  });
});
