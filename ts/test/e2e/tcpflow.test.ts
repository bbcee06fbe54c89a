// Decoder equivalence: tcpflow's per-direction files of a real capture, decoded by
// `cli.js --read-tcpflow DIR` (the same core and pipeline, without libpcap or the addon), give the same
// messages as `cli.js --read` of the capture itself (libpcap, the shim's reassembly, then the core).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordTcpflowStreams } from '../helpers/capture';
import { expectedMessageCount } from '../helpers/exchanges';
import { CLI, requireBuilt } from '../helpers/paths';
import { killAll, run } from '../helpers/process';
import { parseMessages, readCapture, type Message } from '../helpers/sniffer';

const work = mkdtempSync(path.join(os.tmpdir(), 'tsn-tcpflow-'));

afterAll(async () => {
  await killAll();
  if (!process.env.TCP_SNIFFER_KEEP_WORK) rmSync(work, { recursive: true, force: true });
  else console.log(`tcpflow: work files kept in ${work}`);
});

/**
 * Messages without what only a live capture knows (capture times, elapsed time, the process's connection
 * ids), ordered by connection, exchange, then request before response (1xx before the final one).
 */
function comparable(messages: Message[]): Array<Record<string, unknown>> {
  const keyed = messages.map((m, i) => {
    const client = m.direction === 'request' ? m.source : m.destination;
    const { timestamp: _t, elapsedMs: _e, connectionId: _c, ...rest } = m;
    return { key: [`${client.ip}:${String(client.port).padStart(5, '0')}`, m.exchange, m.direction === 'request' ? 0 : 1, i], rest };
  });
  keyed.sort((a, b) => {
    for (let k = 0; k < 3; k++) {
      if (a.key[k] !== b.key[k]) return a.key[k] < b.key[k] ? -1 : 1;
    }
    return (a.key[3] as number) - (b.key[3] as number);
  });
  return keyed.map((k) => k.rest);
}

describe('tcpflow streams decoded without the capture addon', () => {
  it('give the same messages as --read of the capture', async () => {
    requireBuilt();
    const { pcap, flows, truth, port } = await recordTcpflowStreams(work);
    expect(readdirSync(flows).filter((n) => n.includes(`.${String(port).padStart(5, '0')}`)).length).toBeGreaterThan(6);

    const offline = await readCapture(pcap, ['--ports', String(port)]);
    expect(offline.code, offline.stderr).toBe(0);
    const fromFlows = await run('read-tcpflow', process.execPath, [CLI, '--read-tcpflow', flows, '--ports', String(port)]);
    expect(fromFlows.code, fromFlows.stderr).toBe(0);
    const viaTcpflow = parseMessages(fromFlows.stdout.split('\n').filter(Boolean));

    // Both must hold every message of the run, not merely agree.
    expect(offline.messages.length, `--read of the capture; its log:\n${offline.stderr.slice(-3000)}`)
      .toBe(expectedMessageCount(truth));
    expect(comparable(viaTcpflow)).toEqual(comparable(offline.messages));
  });
});
