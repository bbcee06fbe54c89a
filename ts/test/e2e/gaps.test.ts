// Holes that never fill: a real capture with one data frame removed from the middle of a response body
// and one from the middle of a request body (editcap deletes frames by number), decoded with --read.
// The message around each hole must be flagged incomplete, and every later exchange on the same
// connection decoded exactly again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordLoopbackCapture } from '../helpers/capture';
import { checkExchanges } from '../helpers/exchanges';
import { requireBuilt } from '../helpers/paths';
import { killAll, run } from '../helpers/process';
import type { Exchange } from '../helpers/servers';
import { readCapture, type Message } from '../helpers/sniffer';

const MAX_BODY = 65536;
const work = mkdtempSync(path.join(os.tmpdir(), 'tsn-gaps-'));

afterAll(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

interface Frame {
  number: number;
  src: number;
  dst: number;
  seq: number;
  len: number;
}

async function dataFrames(file: string): Promise<Frame[]> {
  const r = await run('tshark', 'tshark', ['-r', file, '-o', 'tcp.relative_sequence_numbers:TRUE', '-Y', 'tcp.len > 0',
    '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq', '-e', 'tcp.len']);
  if (r.code !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => {
    const [number, src, dst, seq, len] = line.split('\t').map(Number);
    return { number, src, dst, seq, len };
  });
}

/**
 * The middle one of the large data frames from `src` to `dst`: inside a body, never its first frame, and
 * one whose bytes no other frame carries (a retransmission would fill the hole we mean to make).
 */
function middleOfBody(frames: Frame[], src: number, dst: number): Frame {
  const dir = frames.filter((f) => f.src === src && f.dst === dst);
  const big = dir.filter((f) => f.len > 8192).sort((a, b) => a.seq - b.seq);
  if (big.length < 3) throw new Error(`expected a body spread over >= 3 frames ${src}->${dst}, got ${big.length}`);
  const alone = (f: Frame) => dir.every((g) => g === f || g.seq + g.len <= f.seq || g.seq >= f.seq + f.len);
  const inner = big.slice(1, -1).filter(alone);
  if (!inner.length) throw new Error(`every inner body frame ${src}->${dst} is also carried by a retransmission`);
  return inner[Math.floor(inner.length / 2)];
}

describe('a capture with frames removed, read with --read', () => {
  it('flags the messages around each hole incomplete and decodes later exchanges again', async () => {
    requireBuilt();
    const whole = path.join(work, 'whole.pcap');
    const cut = path.join(work, 'cut.pcap');
    const { truth, port } = await recordLoopbackCapture(whole, 'gap', MAX_BODY);

    const bigResponse = truth.find((e) => e.path === '/size/300000')!;
    const bigRequest = truth.find((e) => e.method === 'POST' && e.reqBodySize === 200_000)!;
    const frames = await dataFrames(whole);
    const inResponse = middleOfBody(frames, port, bigResponse.clientPort);
    const inRequest = middleOfBody(frames, bigRequest.clientPort, port);
    const ed = await run('editcap', 'editcap', [whole, cut, String(inResponse.number), String(inRequest.number)]);
    expect(ed.code, ed.stderr).toBe(0);

    const r = await readCapture(cut, ['--ports', String(port)]);
    expect(r.code, r.stderr).toBe(0);
    const msgs = r.messages;
    const find = (e: Exchange, dir: 'request' | 'response'): Message[] => msgs.filter((m) => m.direction === dir &&
      m.exchange === e.ordinal && (dir === 'request' ? m.source.port : m.destination.port) === e.clientPort);

    // Every finding is collected, so one run shows all that is wrong.
    const problems: string[] = [];
    const show = (ms: Message[]) => JSON.stringify(ms.map((m) => [m.method ?? m.statusCode, m.path, m.bodySize, m.incomplete]));
    // The response with the hole: its request intact, the response flagged incomplete.
    const q = find(bigResponse, 'request');
    if (q.length !== 1 || q[0].path !== '/size/300000' || q[0].incomplete) problems.push(`request before the response hole: ${show(q)}`);
    const cutResponse = find(bigResponse, 'response');
    if (cutResponse.length !== 1 || cutResponse[0].statusCode !== 200 || cutResponse[0].incomplete !== true ||
      cutResponse[0].bodySize > 300_000) problems.push(`response with the hole (frame ${inResponse.number}): ${show(cutResponse)}`);
    // The request with the hole: flagged incomplete (its response crossed the wire whole: checked below).
    const cutRequest = find(bigRequest, 'request');
    if (cutRequest.length !== 1 || cutRequest[0].path !== '/echo' || cutRequest[0].incomplete !== true) {
      problems.push(`request with the hole (frame ${inRequest.number}): ${show(cutRequest)}`);
    }

    // Everything else, before and after the holes, exact: the decoder resynchronised.
    const others = truth.filter((e) => e !== bigResponse);
    const rest = msgs.filter((m) => !find(bigResponse, m.direction).includes(m) && !cutRequest.includes(m));
    problems.push(...checkExchanges(others, rest, {
      server: { ip: '127.0.0.1', port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY,
    }).filter((p) => !p.startsWith(`POST /echo (client port ${bigRequest.clientPort}, exchange ${bigRequest.ordinal}): 0 request`)));
    expect(problems).toEqual([]);
    // Later exchanges really exist on both cut connections (the plan has 6 after each hole).
    expect(others.filter((e) => e.clientPort === bigResponse.clientPort && e.ordinal > bigResponse.ordinal)).toHaveLength(6);
    expect(others.filter((e) => e.clientPort === bigRequest.clientPort && e.ordinal > bigRequest.ordinal)).toHaveLength(6);
  });
});
