// The one output path: stream events → the real HTTP core → the pipeline → every output as the same
// block of JSON lines; placement is added once, by the core; only the callback makes objects.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, validateConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createOutputs, type Output } from '../src/outputs/index.js';
import { bodyDecoding, Pipeline } from '../src/pipeline.js';
import type { HttpMessage, Placement } from '../src/types.js';
import { CoreModule, HttpCore, type CoreOutput } from '../src/wasm/core.js';
import {
  CLOSE_FIN, DIR_CLIENT_TO_SERVER, DIR_SERVER_TO_CLIENT, EVENT_HEADER_BYTES, KIND_CLOSE, KIND_DATA, KIND_OPEN,
  OPEN_PAYLOAD_BYTES, OPEN_SAMPLED, parseIp, writeEventHeader, writeOpenPayload,
} from '../src/wasm/events.js';
import { requireBuilt, WASM } from './helpers/paths.js';

let wasm: WebAssembly.Module;
beforeAll(async () => {
  requireBuilt(WASM);
  wasm = await WebAssembly.compile(readFileSync(WASM));
});

const endpoint = (ip: string, port: number) => ({ ...parseIp(ip)!, port });

/** One batch on connection `conn`: its open, the client's bytes, the server's bytes, its close (unless `close` is false). */
function connectionBatch(conn: bigint, request: Uint8Array, response: Uint8Array, close = true): Uint8Array {
  const total = 4 * EVENT_HEADER_BYTES + OPEN_PAYLOAD_BYTES + request.length + response.length;
  const batch = new Uint8Array(total);
  const view = new DataView(batch.buffer);
  let at = 0;
  writeEventHeader(view, at, KIND_OPEN, OPEN_SAMPLED, OPEN_PAYLOAD_BYTES, conn, 1_700_000_000_000_000);
  writeOpenPayload(view, at + EVENT_HEADER_BYTES, endpoint('10.0.0.2', 40000), endpoint('10.0.0.1', 8080));
  at += EVENT_HEADER_BYTES + OPEN_PAYLOAD_BYTES;
  for (const [dir, bytes] of [[DIR_CLIENT_TO_SERVER, request], [DIR_SERVER_TO_CLIENT, response]] as const) {
    writeEventHeader(view, at, KIND_DATA, dir, bytes.length, conn, 1_700_000_000_000_100);
    batch.set(bytes, at + EVENT_HEADER_BYTES);
    at += EVENT_HEADER_BYTES + bytes.length;
  }
  if (!close) return batch.subarray(0, at);
  writeEventHeader(view, at, KIND_CLOSE, CLOSE_FIN, 0, conn, 1_700_000_000_000_200);
  return batch.subarray(0, at + EVENT_HEADER_BYTES);
}

/** One batch holding `exchanges` GET exchanges on connection `conn`, then its close. */
function exchangeBatch(conn: bigint, exchanges: number): Uint8Array {
  const enc = new TextEncoder();
  const request = enc.encode('GET /a?q=caf%C3%A9 HTTP/1.1\r\nHost: svc\r\n\r\n'.repeat(exchanges));
  const response = enc.encode('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhé"\n'.repeat(exchanges));
  return connectionBatch(conn, request, response);
}

/** A stdout stream whose writes are read back; `blocked` keeps its callbacks until released. */
function sink() {
  const chunks: Buffer[] = [];
  const held: Array<() => void> = [];
  let blocked = false;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      if (blocked) held.push(cb);
      else cb();
    },
  });
  return {
    stream, text: () => Buffer.concat(chunks).toString(),
    /** The messages written so far, one per line. */
    messages: () => Buffer.concat(chunks).toString().trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as HttpMessage),
    block: () => void (blocked = true),
    release: () => { blocked = false; for (const cb of held.splice(0)) cb(); },
  };
}

/** The end of a run: the pipeline finishes, then every output drains, each within `ms`. */
async function endRun(pipeline: Pipeline, outputs: Output[], ms = 5000): Promise<void> {
  await pipeline.finish(Date.now() + ms, -1);
  await Promise.all(outputs.map((o) => o.drain(Date.now() + ms)));
}

async function pipelineFor(placement: Placement | undefined, onHttpMessage: (m: HttpMessage) => void, out: ReturnType<typeof sink>, pauseAtBytes = 1024 * 1024) {
  const cfg = validateConfig({ ports: [8080], outputStdout: true, onHttpMessage, ...(placement ? { placement } : {}) }, {});
  const log = createLogger({ level: 'error', write: () => {} });
  const outputs = await createOutputs(cfg, log, { stdout: { stream: out.stream as never, pauseAtBytes } });
  const core = new HttpCore(await CoreModule.instantiate(wasm), {
    maxBodySize: cfg.maxBodySize, maxBufferedBytes: cfg.maxBufferedBytes, redactHeaders: cfg.redactHeaders,
    placement: cfg.placement,
  });
  return { core, outputs, pipeline: new Pipeline(core, outputs, log) };
}

describe('one output path', () => {
  it('stdout gets the JSON lines the callback gets as objects, placement added once, last', async () => {
    const out = sink();
    const objects: HttpMessage[] = [];
    const placement = { pod: 'web-0', namespace: 'shop', podIp: '10.0.0.1' };
    const { core, outputs, pipeline } = await pipelineFor(placement, (m) => void objects.push(m), out);
    pipeline.onBatch(exchangeBatch(1n, 3));
    pipeline.onBatch(exchangeBatch(2n, 2));
    await endRun(pipeline, outputs);

    const lines = out.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(10);
    expect(lines.map((l) => JSON.parse(l))).toEqual(objects);
    for (const l of lines) {
      expect(l.endsWith(`,"placement":${JSON.stringify(placement)}}`)).toBe(true);
      expect(l.split('"placement"')).toHaveLength(2);
    }
    expect(objects.filter((m) => m.direction === 'response').map((m) => m.body)).toEqual(Array(5).fill('hé"\n'));
    expect(pipeline.stats()).toMatchObject({ messages: 10, batches: 2, deliveryErrors: 0 });
    core.free();
  });

  it('without placement, lines are the core\'s objects as they are', async () => {
    const out = sink();
    const { core, outputs, pipeline } = await pipelineFor(undefined, () => {}, out);
    pipeline.onBatch(exchangeBatch(7n, 1));
    await endRun(pipeline, outputs);
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).not.toContain('placement');
      expect(JSON.parse(l)).toMatchObject({ connectionId: '7', exchange: 1 });
    }
    core.free();
  });

  it('the core\'s log records reach the logs, apart from the messages, which come out whole and counted', async () => {
    const core = new HttpCore(await CoreModule.instantiate(wasm), {
      maxBodySize: 65536, maxBufferedBytes: 64 << 20, redactHeaders: [], placement: { pod: 'web-1' },
    });
    // A TLS connection (a record header first), then an HTTP one, in one feed.
    const tls = connectionBatch(1n, Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5), Uint8Array.of(0x16, 0x03, 0x03, 0, 1, 0));
    const http = exchangeBatch(2n, 3);
    const batch = new Uint8Array(tls.length + http.length);
    batch.set(tls);
    batch.set(http, tls.length);
    // The block is the core's memory, valid while the callback runs: copied to be read after it.
    const feed = (b: Uint8Array) => {
      let output!: CoreOutput;
      const status = core.feed(b, (o) => (output = { ...o, jsonl: o.jsonl.slice() }));
      return { status, output };
    };
    const { status, output } = feed(batch);
    expect(status).toBe(0);
    expect(output.logs).toEqual([{ level: 'debug', message: 'connection is not HTTP', connectionId: '1', reason: 'tls' }]);
    expect(output.count).toBe(6);
    const lines = new TextDecoder().decode(output.jsonl).split('\n');
    expect(lines.pop()).toBe('');
    // The batch holds the client's bytes, then the server's: the three requests, then their answers.
    expect(lines.map((l) => JSON.parse(l))).toEqual(lines.map((_, i) => expect.objectContaining({
      connectionId: '2', direction: i < 3 ? 'request' : 'response', exchange: (i % 3) + 1, placement: { pod: 'web-1' },
    })));
    // A broken batch: a warn record and no message.
    const broken = feed(Uint8Array.of(2, 0, 0, 0, 255, 255, 0, 0));
    expect(broken.status).toBeLessThan(0);
    expect(broken.output.count).toBe(0);
    expect(broken.output.jsonl).toHaveLength(0);
    expect(broken.output.logs).toMatchObject([{ level: 'warn', message: 'malformed stream-event batch' }]);
    core.free();
  });

  it('holds batches (in order) while stdout is backpressured, and idle() resolves once they are fed', async () => {
    const out = sink();
    const seen: string[] = [];
    const { core, outputs, pipeline } = await pipelineFor(undefined, (m) => void seen.push(`${m.connectionId}/${m.exchange}`), out, 2048);
    out.block();
    pipeline.onBatch(exchangeBatch(1n, 20)); // well past 2 KiB of lines: stdout asks to wait
    const reused = exchangeBatch(2n, 1);
    pipeline.onBatch(reused);
    reused.fill(0); // the source reuses its batch once onBatch returns: the held copy must not change
    pipeline.onBatch(exchangeBatch(3n, 1));
    expect(pipeline.stats()).toMatchObject({ batches: 1, batchesHeld: 2 });
    expect(seen).toHaveLength(40);
    let idle = false;
    const whenIdle = pipeline.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    out.release();
    await whenIdle;
    expect(pipeline.stats()).toMatchObject({ batches: 3, batchesHeld: 2, batchesForced: 0, queuedBytes: 0, malformedBatches: 0 });
    expect(seen.slice(40)).toEqual(['2/1', '2/1', '3/1', '3/1']);
    await endRun(pipeline, outputs);
    expect(out.messages().map((m) => `${m.connectionId}/${m.exchange}`)).toEqual(seen);
    core.free();
  });

  it('past a full hold queue, feeds only the oldest held batches, so the queue turns over one batch at a time, in order', async () => {
    const out = sink();
    const seen: string[] = [];
    const { core, outputs, pipeline } = await pipelineFor(undefined, (m) => void seen.push(`${m.connectionId}/${m.direction}`), out, 2048);
    const enc = new TextEncoder();
    const body = 'x'.repeat(512 * 1024);
    const big = (conn: bigint) => connectionBatch(conn, enc.encode('GET /big HTTP/1.1\r\nHost: svc\r\n\r\n'),
      enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    out.block();
    pipeline.onBatch(big(1n)); // stdout asks to wait: the next batches are held
    let conn = 2n;
    while (pipeline.stats().batchesForced === 0) {
      pipeline.onBatch(big(conn++));
      if (conn > 1000n) throw new Error('the hold queue never filled');
    }
    const s = pipeline.stats();
    const held = Number(conn) - 2; // every batch after the first, the one that forced a feed too
    expect(held * big(0n).length).toBeGreaterThan(LIMITS.pipelineMaxQueuedBytes);
    // The first batch and the oldest held one were fed, not the whole queue.
    expect(s).toMatchObject({ batches: 2, batchesHeld: held, batchesForced: 1 });
    expect(s.queuedBytes).toBe((held - 1) * big(0n).length);
    expect(s.queuedBytes).toBeLessThanOrEqual(LIMITS.pipelineMaxQueuedBytes);
    expect(seen).toEqual(['1/request', '1/response', '2/request', '2/response']);
    out.release();
    await pipeline.idle();
    await endRun(pipeline, outputs);
    expect(pipeline.stats()).toMatchObject({ batches: held + 1, queuedBytes: 0, malformedBatches: 0 });
    const order = Array.from({ length: held + 1 }, (_, i) => [`${i + 1}/request`, `${i + 1}/response`]).flat();
    expect(seen).toEqual(order);
    expect(out.messages().map((m) => `${m.connectionId}/${m.direction}`)).toEqual(order);
    core.free();
  });
});

describe('decoded bodies on the one output path', () => {
  /** Three exchanges on one connection: plain, gzip-coded, plain; then the close. */
  function codedBatch(conn: bigint): Uint8Array {
    const enc = new TextEncoder();
    const gz = gzipSync(Buffer.from('{"decoded":true}'));
    const plain = (body: string) => enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const coded = Buffer.concat([enc.encode(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]);
    const request = enc.encode('GET /a HTTP/1.1\r\nHost: svc\r\n\r\n'.repeat(3));
    const response = Buffer.concat([plain('one'), coded, plain('three')]);
    return connectionBatch(conn, request, response);
  }

  /** One GET whose response carries `gz` as its gzip-coded body, then the close. */
  function gzipBatch(conn: bigint, gz: Buffer): Uint8Array {
    const enc = new TextEncoder();
    return connectionBatch(conn, enc.encode('GET /z HTTP/1.1\r\nHost: svc\r\n\r\n'),
      Buffer.concat([enc.encode(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]));
  }

  /** The real core and pipeline into stdout on `out`, with the stdout options and config given. */
  async function decodingPipeline(out: ReturnType<typeof sink>, config: { decodeBodies: boolean; maxBodySize?: number },
    stdout: { pauseAtBytes?: number; maxBufferedBytes?: number } = {}) {
    const cfg = validateConfig({ ports: [8080], outputStdout: true, ...config }, {});
    const log = createLogger({ level: 'error', write: () => {} });
    const outputs = await createOutputs(cfg, log, { stdout: { stream: out.stream as never, ...stdout } });
    const core = new HttpCore(await CoreModule.instantiate(wasm), {
      maxBodySize: cfg.maxBodySize, maxBufferedBytes: cfg.maxBufferedBytes, redactHeaders: cfg.redactHeaders,
    });
    return { core, outputs, pipeline: new Pipeline(core, outputs, log, { decodeBodies: bodyDecoding(cfg) }) };
  }

  async function run(decodeBodies: boolean): Promise<{ lines: string[]; stats: Record<string, number> }> {
    const out = sink();
    const { core, outputs, pipeline } = await decodingPipeline(out, { decodeBodies });
    pipeline.onBatch(codedBatch(1n));
    pipeline.onBatch(exchangeBatch(2n, 2));
    await endRun(pipeline, outputs);
    core.free();
    return { lines: out.text().trimEnd().split('\n'), stats: pipeline.stats() };
  }

  it('decoded blocks wait while stdout is backpressured, instead of going past its cap (nothing dropped)', async () => {
    const out = sink();
    // Each decoded response is a line of about 40 KB: two of them do not fit under the 64 KiB cap.
    const { core, outputs, pipeline } = await decodingPipeline(out, { decodeBodies: true, maxBodySize: 1 << 20 },
      { pauseAtBytes: 2048, maxBufferedBytes: 64 * 1024 });
    const gz = gzipSync(Buffer.from(randomBytes(20_000).toString('hex'))); // about 2:1, under the ratio limit
    out.block();
    // All three reach the body stage before any decode ends (their compressed lines are small).
    for (const conn of [1n, 2n, 3n]) pipeline.onBatch(gzipBatch(conn, gz));
    expect(pipeline.stats()).toMatchObject({ batches: 3, batchesHeld: 0 });
    await new Promise((r) => setTimeout(r, 200)); // the decodes end; stdout is still blocked
    expect(out.messages()).toHaveLength(2); // the first block, and no more: stdout asked to wait after it
    expect(outputs[0]!.stats()).toMatchObject({ dropped: 0 });
    out.release();
    await endRun(pipeline, outputs);
    const all = out.messages();
    expect(outputs[0]!.stats()).toMatchObject({ dropped: 0, delivered: 6 });
    expect(all.map((m) => `${m.connectionId}/${m.direction}`)).toEqual(['1', '2', '3'].flatMap((c) => [`${c}/request`, `${c}/response`]));
    for (const m of all.filter((x) => x.direction === 'response')) expect(m).toMatchObject({ contentEncodingRemoved: 'gzip', bodySize: gz.length });
    expect(pipeline.stats()).toMatchObject({ bodiesDecoded: 3 });
    core.free();
  });

  it('a batch that arrives after a decoded block paused stdout is held, not written past its cap (nothing dropped)', async () => {
    const out = sink();
    const { core, outputs, pipeline } = await decodingPipeline(out, { decodeBodies: true, maxBodySize: 1 << 20 },
      { pauseAtBytes: 2048, maxBufferedBytes: 64 * 1024 });
    // A decoded line of about 100 KB, larger than the cap: taken whole, as stdout was ready when it came.
    const gz = gzipSync(Buffer.from(randomBytes(50_000).toString('hex')));
    out.block();
    pipeline.onBatch(gzipBatch(1n, gz));
    await new Promise((r) => setTimeout(r, 200)); // its decode ends and it is written: stdout is now paused
    const stdout = outputs[0]!;
    expect(stdout.stats()).toMatchObject({ delivered: 0, dropped: 0 });
    expect(stdout.stats().bufferedBytes).toBeGreaterThan(64 * 1024);
    // Nothing waits in the pipeline or the stage, so only the outputs' own state says this batch must wait.
    pipeline.onBatch(exchangeBatch(2n, 2));
    expect(pipeline.stats()).toMatchObject({ batchesHeld: 1 });
    expect(stdout.stats().dropped).toBe(0);
    out.release();
    await endRun(pipeline, outputs);
    const all = out.messages();
    expect(stdout.stats()).toMatchObject({ dropped: 0, delivered: 6 });
    expect(all.map((m) => `${m.connectionId}/${m.direction}`)).toEqual(['1/request', '1/response', '2/request', '2/request', '2/response', '2/response']);
    core.free();
  });

  it('the last messages (at finish) wait for a stdout that a decoded block paused, instead of being dropped', async () => {
    const out = sink();
    const { core, outputs, pipeline } = await decodingPipeline(out, { decodeBodies: true, maxBodySize: 1 << 20 },
      { pauseAtBytes: 2048, maxBufferedBytes: 64 * 1024 });
    const enc = new TextEncoder();
    out.block();
    // A response cut short on a connection still open: the core emits it only when it finishes.
    pipeline.onBatch(connectionBatch(2n, enc.encode('GET /cut HTTP/1.1\r\nHost: svc\r\n\r\n'),
      enc.encode('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'), false));
    pipeline.onBatch(gzipBatch(1n, gzipSync(Buffer.from(randomBytes(50_000).toString('hex')))));
    await new Promise((r) => setTimeout(r, 200)); // the decoded line (about 100 KB) is written: stdout is paused
    const stdout = outputs[0]!;
    expect(stdout.stats().bufferedBytes).toBeGreaterThan(64 * 1024);
    setTimeout(() => out.release(), 100);
    await endRun(pipeline, outputs);
    const all = out.messages();
    expect(stdout.stats()).toMatchObject({ dropped: 0, delivered: 4 });
    expect(all.map((m) => `${m.connectionId}/${m.direction}`)).toEqual(['2/request', '1/request', '1/response', '2/response']);
    expect(all[3]).toMatchObject({ incomplete: true });
    core.free();
  });

  it('past 32 MiB of decoded blocks held behind a blocked stdout, delivers them anyway: stdout drops and counts them', async () => {
    const out = sink();
    const { core, outputs, pipeline } = await decodingPipeline(out, { decodeBodies: true, maxBodySize: 1 << 20 }, { pauseAtBytes: 2048 });
    // Random bytes: gzip keeps them at their size, so each line holds about 350 KB of base64 before and after.
    const gz = gzipSync(randomBytes(256 * 1024), { level: 1 });
    out.block();
    // 8 MiB in the body stage, then 32 MiB of held batches, then forced feeds until the stage passes 32 MiB.
    const N = 300;
    for (let conn = 1n; conn <= BigInt(N); conn++) {
      pipeline.onBatch(gzipBatch(conn, gz));
      await new Promise((r) => setTimeout(r, 1)); // the decodes end between batches, as live
    }
    await new Promise((r) => setTimeout(r, 200));
    const stdout = outputs[0]!;
    // Without the bound nothing would have reached stdout past its first block while it stays blocked.
    expect(stdout.stats().dropped).toBeGreaterThan(0);
    expect(pipeline.stats().batchesForced).toBeGreaterThan(0);
    out.release();
    await endRun(pipeline, outputs, 10_000);
    const s = stdout.stats();
    const lines = out.messages();
    expect(s.delivered).toBe(lines.length);
    expect(s.delivered + s.dropped).toBe(2 * N); // every message written or counted
    expect(pipeline.stats()).toMatchObject({ messages: 2 * N, bodiesDecoded: N, bodiesUndecodedAtDeadline: 0 });
    core.free();
  }, 30_000);

  it('rewrites only the line with a Content-Encoding, and keeps the order', async () => {
    const asSent = await run(false);
    const decoded = await run(true);
    expect(decoded.lines).toHaveLength(10);
    const codedAt = asSent.lines.findIndex((l) => l.includes('"content-encoding":"gzip"'));
    expect(codedAt).toBe(4); // the three requests (their bytes came first), response 1, response 2 (coded)
    decoded.lines.forEach((l, i) => {
      if (i !== codedAt) expect(l).toBe(asSent.lines[i]); // byte for byte
    });
    const m = JSON.parse(decoded.lines[codedAt]!) as HttpMessage;
    expect(m).toMatchObject({ body: '{"decoded":true}', bodyEncoding: 'utf8', contentEncodingRemoved: 'gzip', bodyTruncated: false });
    expect(m.bodySize).toBe((JSON.parse(asSent.lines[codedAt]!) as HttpMessage).bodySize);
    expect(decoded.stats).toMatchObject({ messages: 10, bodiesDecoded: 1, bodiesPartlyDecoded: 0, bodiesNotDecoded: 0 });
  });
});
