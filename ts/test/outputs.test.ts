// The callback and stdout outputs; stdout against a real pipe to a real process.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { CallbackOutput, createOutputs, StdoutOutput } from '../src/outputs/index.js';
import type { HttpMessage } from '../src/types.js';

const newLog = () => {
  const lines: string[] = [];
  return { log: createLogger({ level: 'debug', write: (l) => lines.push(l) }), lines };
};
const message = (i: number): HttpMessage => ({
  direction: 'response', receiver: { ip: '10.0.0.1', port: 80 }, destination: { ip: '10.0.0.2', port: 5000 },
  source: { ip: '10.0.0.1', port: 80 }, connectionId: String(i), exchange: 1, httpVersion: '1.1', statusCode: 200,
  statusMessage: 'OK', headers: {}, bodySize: 0, bodyTruncated: false,
});
/** Messages as the pipeline hands them over: one block of newline-terminated JSON lines. */
const jsonl = (...msgs: object[]): Buffer => Buffer.from(msgs.map((m) => JSON.stringify(m) + '\n').join(''));
const until = async (cond: () => boolean): Promise<void> => {
  const giveUp = performance.now() + 30_000;
  while (!cond()) {
    if (performance.now() > giveUp) throw new Error('condition not reached');
    await new Promise((r) => setImmediate(r));
  }
};

describe('callback output', () => {
  it('catches a throwing callback, counts it, logs it rate-limited, and the other outputs still get every message', async () => {
    const { log, lines } = newLog();
    const got: string[] = [];
    const cfg = validateConfig({ ports: [80], outputStdout: true, onHttpMessage: () => { throw new Error('user bug'); } }, {});
    const { Writable } = await import('node:stream');
    const sink = new Writable({ write(chunk, _enc, cb) { got.push(String(chunk)); cb(); } });
    const outs = await createOutputs(cfg, log, { stdout: { stream: sink as never } });
    expect(outs.map((o) => o.name)).toEqual(['stdout', 'callback']);
    for (let i = 0; i < 100; i++) for (const o of outs) o.deliver(jsonl(message(i)), 1);
    await Promise.all(outs.map((o) => o.drain(Date.now() + 5000)));
    expect(got).toHaveLength(100);
    expect(outs[1]!.stats()).toMatchObject({ delivered: 0, failed: 100, dropped: 0 });
    const errs = lines.map((l) => JSON.parse(l)).filter((r) => r.message === 'onHttpMessage failed');
    expect(errs).toHaveLength(1);
    expect(errs[0].error).toMatchObject({ message: 'user bug' });
  });

  it('hands the callback each line of a block as its own object, in order, parsed before the block is reused', async () => {
    const { log } = newLog();
    const got: HttpMessage[] = [];
    const out = new CallbackOutput((m) => void got.push(m), log);
    const sent = [0, 1, 2].map((i) => ({ ...message(i), body: `é "q" ${i}`, placement: { pod: 'p' } }));
    const block = jsonl(...sent);
    out.deliver(block, 3);
    block.fill(0x78);
    expect(got).toEqual(sent);
    expect(out.stats()).toMatchObject({ delivered: 3, failed: 0, dropped: 0 });
  });

  it('drops, counts and logs a line that is not JSON, and still calls back for the lines around it', async () => {
    const { log, lines } = newLog();
    const got: string[] = [];
    const out = new CallbackOutput((m) => void got.push(m.connectionId), log);
    const block = Buffer.concat([jsonl(message(1)), Buffer.from('{"cut\n'), jsonl(message(2))]);
    out.deliver(block, 3);
    expect(got).toEqual(['1', '2']);
    expect(out.stats()).toMatchObject({ delivered: 2, dropped: 1, failed: 0 });
    expect(lines.filter((l) => l.includes('not JSON'))).toHaveLength(1);
  });

  it('survives throwing non-errors and rejecting promises', async () => {
    const { log } = newLog();
    const weird = { toString() { throw new Error('nope'); } };
    let n = 0;
    const out = new CallbackOutput(() => {
      n++;
      if (n === 1) throw weird;
      if (n === 2) return Promise.reject(new Error('async bug'));
      return undefined;
    }, log);
    out.deliver(jsonl(message(0), message(1), message(2)), 3);
    await out.drain(Date.now() + 5000);
    expect(out.stats()).toMatchObject({ delivered: 1, failed: 2, inFlight: 0 });
  });

  it('awaits at most 1,000 promises; past that, messages for the callback are dropped and counted', async () => {
    const { log, lines } = newLog();
    const resolvers: Array<() => void> = [];
    const seen: string[] = [];
    const out = new CallbackOutput((m) => {
      seen.push(m.connectionId);
      return new Promise<void>((r) => resolvers.push(r));
    }, log);
    out.deliver(jsonl(...Array.from({ length: 1500 }, (_, i) => message(i))), 1500);
    expect(out.stats()).toMatchObject({ inFlight: 1000, dropped: 500, delivered: 0 });
    expect(seen).toHaveLength(1000);
    expect(lines.filter((l) => l.includes('too many promises'))).toHaveLength(1);
    for (const r of resolvers.splice(0, 10)) r();
    await until(() => out.stats().inFlight === 990);
    out.deliver(jsonl(message(2000)), 1);
    expect(out.stats()).toMatchObject({ inFlight: 991, delivered: 10, dropped: 500 });
    // drain waits for the promises...
    const drained = out.drain(Date.now() + 30_000);
    for (const r of resolvers.splice(0)) r();
    await drained;
    expect(out.stats()).toMatchObject({ inFlight: 0, delivered: 1001, dropped: 500 });
  });

  it('stops waiting for promises at the drain deadline, counting them as dropped', async () => {
    const { log, lines } = newLog();
    const out = new CallbackOutput(() => new Promise<void>(() => {}), log);
    out.deliver(jsonl(message(0), message(1), message(2)), 3);
    await out.drain(Date.now() + 50);
    expect(out.stats()).toMatchObject({ inFlight: 0, dropped: 3 });
    expect(lines.some((l) => l.includes('drain deadline passed'))).toBe(true);
  });
});

describe('stdout output', () => {
  const reader = (cmd: string): ChildProcess => spawn('sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'inherit'] });
  const output = (child: ChildProcess) => {
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
    return new Promise<string>((resolve) => child.on('close', () => resolve(Buffer.concat(chunks).toString())));
  };

  it('takes a block larger than the cap whole when it arrives below the pause mark', async () => {
    // A stream whose writes complete only when released: its buffered length is then exactly what the
    // output has handed it (a real pipe takes part of a write at once, by an amount the kernel decides).
    const held: Array<() => void> = [];
    let written = 0;
    const stream = new Writable({ highWaterMark: 16 * 1024, write(chunk: Buffer, _enc, cb) { written += chunk.length; held.push(cb); } });
    const { log } = newLog();
    const out = new StdoutOutput(log, { stream: stream as never, maxBufferedBytes: 64 * 1024, pauseAtBytes: 16 * 1024 });
    const big = Buffer.from(`${JSON.stringify({ ...message(1), body: 'z'.repeat(256 * 1024) })}\n`);
    out.deliver(big, 1); // a decoded body's line: more than the cap, with nothing buffered
    expect(out.stats()).toMatchObject({ dropped: 0 });
    expect(out.ready()).toBeInstanceOf(Promise); // past the pause mark now
    out.deliver(big, 1); // a caller that ignores ready(): this one is dropped
    expect(out.stats()).toMatchObject({ dropped: 1 });
    const drained = out.drain(Date.now() + 5000);
    for (const cb of held.splice(0)) cb();
    await drained;
    expect(written).toBe(big.length);
    expect(out.stats()).toMatchObject({ delivered: 1, dropped: 1, failed: 0 });
  });

  it('writes JSON lines as given and honours backpressure from a real pipe, with a hard cap', async () => {
    const child = reader('wc -c');
    const result = output(child);
    child.kill('SIGSTOP'); // the reader stalls: the pipe fills
    const { log, lines } = newLog();
    const cap = 1024 * 1024;
    const out = new StdoutOutput(log, { stream: child.stdin! as never, maxBufferedBytes: cap, pauseAtBytes: 256 * 1024 });
    const line = JSON.stringify({ ...message(1), body: 'y'.repeat(1000) });
    let accepted = 0;
    let offered = 0;
    while (out.ready() === null) {
      out.deliver(Buffer.from(line + '\n'), 1);
      offered++;
      accepted = offered - out.stats().dropped;
      if (offered > 100_000) throw new Error('never backpressured');
      if (offered % 64 === 0) await new Promise((r) => setImmediate(r)); // let the pipe take what it can
    }
    const blocked = out.ready();
    expect(blocked).toBeInstanceOf(Promise);
    expect(out.stats().bufferedBytes).toBeGreaterThanOrEqual(256 * 1024); // not before pauseAtBytes
    expect(out.stats().dropped).toBe(0); // ready() said wait before anything had to be dropped
    expect(out.ready()).toBe(blocked); // one promise while blocked
    // A caller that ignores ready() hits the cap: buffered bytes stay bounded, the rest is counted.
    for (let i = 0; i < 5000; i++) {
      out.deliver(Buffer.from(line + '\n'), 1);
      offered++;
    }
    const s = out.stats();
    expect(s.bufferedBytes).toBeLessThanOrEqual(cap);
    expect(s.dropped).toBeGreaterThan(0);
    accepted = offered - s.dropped;
    expect(lines.filter((l) => l.includes('not being read fast enough'))).toHaveLength(1);

    child.kill('SIGCONT');
    await blocked; // resolves once the reader catches up
    await out.drain(Date.now() + 30_000);
    expect(out.ready()).toBeNull();
    expect(out.stats()).toMatchObject({ delivered: accepted, pending: 0, failed: 0 });
    child.stdin!.end();
    expect(Number((await result).trim())).toBe(accepted * (line.length + 1));
  });

  it('writes each line verbatim followed by a newline', async () => {
    const child = reader('cat');
    const result = output(child);
    const out = new StdoutOutput(newLog().log, { stream: child.stdin! as never });
    const lines = [0, 1, 2].map((i) => JSON.stringify({ ...message(i), body: 'é "q"' }));
    lines.forEach((l) => out.deliver(Buffer.from(l + '\n'), 1));
    await out.drain(Date.now() + 10_000);
    child.stdin!.end();
    expect(await result).toBe(lines.map((l) => l + '\n').join(''));
  });

  it('writes a block of JSON lines as one write (a copy: the pipeline reuses it) and counts each message in it, dropped ones too', async () => {
    const child = reader('cat');
    const result = output(child);
    const { log, lines: logLines } = newLog();
    const out = new StdoutOutput(log, { stream: child.stdin! as never, maxBufferedBytes: 4 * 1024 * 1024 });
    // Larger than a pipe's buffer, so part of the block is still queued when deliver returns.
    const lines = [0, 1, 2].map((i) => JSON.stringify({ ...message(i), body: 'é "q"'.repeat(40_000) }) + '\n');
    // The pipeline reuses a block once deliver returns: a pipe's output must have copied them.
    const block = Buffer.from(lines.join(''));
    out.deliver(block, 3);
    block.fill(0x78);
    out.deliver(Buffer.from(lines[0]!), 1);
    // Past the cap the whole batch is dropped, and counted per message.
    out.deliver(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), 7);
    await out.drain(Date.now() + 10_000);
    child.stdin!.end();
    expect(await result).toBe(lines.join('') + lines[0]);
    expect(out.stats()).toMatchObject({ delivered: 4, dropped: 7, failed: 0, pending: 0 });
    expect(logLines.filter((l) => l.includes('not being read fast enough'))).toHaveLength(1);
  });

  it('reuses its copies of blocks only once written: many blocks through a stalled pipe come out whole and in order', async () => {
    const child = reader('cat');
    const result = output(child);
    child.kill('SIGSTOP'); // every write after the pipe's 64 KiB stays queued in the stream until SIGCONT
    const out = new StdoutOutput(newLog().log, { stream: child.stdin! as never, maxBufferedBytes: 64 * 1024 * 1024 });
    const scratch = Buffer.alloc(300_000); // the pipeline's reused block
    const expected: string[] = [];
    for (let i = 0; i < 60; i++) {
      const line = JSON.stringify({ ...message(i), body: String.fromCharCode(0x61 + (i % 26)).repeat(1_000 + 4_999 * i) }) + '\n';
      const len = scratch.write(line);
      out.deliver(scratch.subarray(0, len), 1);
      scratch.fill(0x21); // what the next feed would do to the block
      expected.push(line);
      if (i % 20 === 19) await new Promise((r) => setImmediate(r)); // writes of earlier copies may complete
    }
    expect(out.stats().bufferedBytes).toBeGreaterThan(1024 * 1024); // still queued: the copies were not reused
    child.kill('SIGCONT');
    await out.drain(Date.now() + 30_000);
    child.stdin!.end();
    expect(await result).toBe(expected.join(''));
    expect(out.stats()).toMatchObject({ delivered: 60, dropped: 0, failed: 0, pending: 0 });
  });

  it('logs a broken pipe once and counts every later message as dropped, without crashing', async () => {
    const child = reader('exec 0<&-; sleep 0.1');
    await new Promise((r) => setTimeout(r, 50));
    const { log, lines } = newLog();
    const out = new StdoutOutput(log, { stream: child.stdin! as never });
    const line = 'z'.repeat(70_000);
    for (let i = 0; i < 10; i++) out.deliver(Buffer.from(line), 1);
    await until(() => lines.some((l) => l.includes('stdout failed')));
    for (let i = 0; i < 10; i++) out.deliver(Buffer.from(line), 1);
    await out.drain(Date.now() + 1000);
    const s = out.stats();
    expect(s.delivered + s.failed + s.dropped).toBe(20);
    expect(s.dropped).toBeGreaterThanOrEqual(10);
    expect(lines.filter((l) => l.includes('stdout failed'))).toHaveLength(1);
    expect(out.ready()).toBeNull();
  });

  it('given a file descriptor, writes each block to it before deliver returns, the block as it is, counted per message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stdout-fd-'));
    const fd = openSync(join(dir, 'out.jsonl'), 'w');
    try {
      const out = new StdoutOutput(newLog().log, { fd });
      const block = Buffer.alloc(300_000); // the pipeline's reused block
      const expected: string[] = [];
      for (let i = 0; i < 20; i++) {
        const lines = [0, 1, 2].map((k) => JSON.stringify({ ...message(i * 3 + k), body: 'é "q"'.repeat(1_000 * k) }) + '\n');
        const len = block.write(lines.join(''));
        out.deliver(block.subarray(0, len), 3);
        block.fill(0x21); // what the next feed would do to the block: already written, so harmless
        expected.push(...lines);
      }
      expect(out.ready()).toBeNull();
      expect(out.stats()).toMatchObject({ delivered: 60, dropped: 0, failed: 0, pending: 0, bufferedBytes: 0 });
      expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe(expected.join(''));
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
  });

  it('given a file descriptor whose reader is gone, logs the broken pipe once and counts every message, without throwing', async () => {
    const child = spawn('sh', ['-c', 'exec 0<&-; sleep 0.1'], { stdio: ['pipe', 'ignore', 'inherit'] });
    await new Promise((r) => setTimeout(r, 50));
    const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const { log, lines } = newLog();
    const out = new StdoutOutput(log, { fd });
    for (let i = 0; i < 10; i++) out.deliver(Buffer.from('z'.repeat(70_000) + '\n'), 2);
    const s = out.stats();
    expect(s).toMatchObject({ delivered: 0, failed: 2 });
    expect(s.dropped).toBe(18);
    expect(lines.filter((l) => l.includes('stdout failed'))).toHaveLength(1);
    await out.drain(Date.now() + 1000);
    child.stdin!.destroy();
  });
});
