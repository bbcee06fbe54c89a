// End to end across two network namespaces joined by a veth pair (created and removed here): the server
// and the sniffer in one namespace, the client in the other; then again with real packet loss from
// iptables `statistic` drops in both namespaces. TCP retransmits, so the capture holds retransmissions,
// duplicates and reordering, and every exchange must still be exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExchanges, expectedMessageCount, onConnectionsOf } from '../helpers/exchanges';
import { createNetnsPair, type NetnsPair } from '../helpers/netns';
import { requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';
import { runClient, startNodeServer, type Server } from '../helpers/servers';
import { LiveSniffer } from '../helpers/sniffer';

const MAX_BODY = 65536;

let pair: NetnsPair;
let server: Server;

beforeAll(async () => {
  requireBuilt();
  pair = createNetnsPair('e', 77);
  server = await startNodeServer(pair.serverIp, pair.inNs(pair.serverNs));
});

afterAll(async () => {
  try {
    await killAll();
  } finally {
    pair?.remove();
  }
});

async function captureAcross(plan: string): Promise<void> {
  const base = `http://${pair.serverIp}:${server.port}`;
  const inClient = pair.inNs(pair.clientNs);
  const sniffer = new LiveSniffer(pair.serverIf, [server.port], [], pair.inNs(pair.serverNs));
  await sniffer.waitUntilCapturing(() => runClient(base, 'probe', 16, inClient), 60_000);
  const truth = await runClient(base, plan, MAX_BODY, inClient);
  await sniffer.waitForCount(expectedMessageCount(truth), 60_000, (ms) => onConnectionsOf(truth, ms));
  const exit = await sniffer.stop();
  const messages = onConnectionsOf(truth, sniffer.messages());
  const problems = checkExchanges(truth, messages, {
    server: { ip: pair.serverIp, port: server.port }, clientIp: pair.clientIp, maxBodySize: MAX_BODY,
  });
  expect(problems, `the sniffer's log:\n${sniffer.child.tail()}`).toEqual([]);
  expect(messages.length).toBe(expectedMessageCount(truth));
  expect(exit).toEqual({ code: 0, signal: null });
}

describe('live capture across a veth pair between two namespaces', () => {
  it('reports every exchange exactly', async () => {
    await captureAcross('full');
  });

  it('reports every exchange exactly under 10% random packet loss', async () => {
    pair.addLoss(0.1);
    await captureAcross('full');
    // The loss was real: the kernel dropped packets that TCP then sent again.
    expect(pair.droppedPackets()).toBeGreaterThan(10);
  }, 300_000);
});
