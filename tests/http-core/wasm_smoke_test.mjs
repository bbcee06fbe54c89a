// Smoke test of the built http_core.wasm: it instantiates with no imports, exports the C ABI of
// docs/internals.md §2, and decodes one request/response pair fed as the golden stream-event batch of
// fixtures/stream-events/cases.md ("A whole exchange").
// Usage: node wasm_smoke_test.mjs PATH/TO/http_core.wasm
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { readGoldenCases } from '../stream-format/golden_cases.mjs';

const wasmPath = process.argv[2];
const module = new WebAssembly.Module(readFileSync(wasmPath));
assert.deepEqual(WebAssembly.Module.imports(module), [], 'the module must need no imports');
const exportNames = WebAssembly.Module.exports(module).map((e) => e.name);
for (const name of ['memory', 'http_core_input', 'http_core_engine_new', 'http_core_engine_feed', 'http_core_engine_finish',
  'http_core_output_ptr', 'http_core_output_len', 'http_core_output_count', 'http_core_records_ptr', 'http_core_records_len',
  'http_core_output_clear', 'http_core_engine_stats', 'http_core_engine_free',
  'http_core_engine_balance', 'http_core_redact_body', 'http_core_redacted_ptr']) {
  assert.ok(exportNames.includes(name), `missing export ${name}`);
}
const { exports: x } = new WebAssembly.Instance(module, {});
if (typeof x._initialize === 'function') x._initialize();

// The batch is the golden case every writer and reader of the stream-event format agrees on.
const exchange = readGoldenCases().find((c) => c.title === 'A whole exchange');
assert.ok(exchange, 'fixtures/stream-events/cases.md has the case "A whole exchange"');
const batch = exchange.bytes;

const enc = new TextEncoder();
const redact = enc.encode('authorization');
let ptr = x.http_core_input(redact.length);
new Uint8Array(x.memory.buffer, ptr, redact.length).set(redact);
const h = x.http_core_engine_new(65536, 134217728, ptr, redact.length);
assert.ok(h > 0, 'http_core_engine_new failed');
// Option 7: the placement every message ends with; only a JSON object's braces are accepted.
const configure = (option, text) => {
  const bytes = enc.encode(text);
  const at = x.http_core_input(bytes.length);
  new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
  return x.http_core_engine_configure(h, option, at, bytes.length);
};
assert.equal(configure(7, '"pod"'), -1);
assert.equal(configure(7, '{"pod":"web-1"}'), 0);

ptr = x.http_core_input(batch.length);
new Uint8Array(x.memory.buffer, ptr, batch.length).set(batch);
assert.equal(x.http_core_engine_feed(h, ptr, batch.length), 0);
const text = new TextDecoder().decode(
  new Uint8Array(x.memory.buffer, x.http_core_output_ptr(h), x.http_core_output_len(h)));
assert.ok(text.endsWith('\n'), text);
const lines = text.split('\n').filter(Boolean);
assert.equal(lines.length, 2, text);
assert.equal(x.http_core_output_count(h), 2);
assert.equal(x.http_core_records_len(h), 0);
const [req, res] = lines.map((l) => JSON.parse(l));
assert.deepEqual(req.placement, { pod: 'web-1' });
assert.equal(req.path, '/hello');
assert.equal(req.headers.authorization, '[REDACTED]');
assert.equal(req.timestamp, '2023-11-14T22:13:20.000000Z');
assert.equal(res.statusCode, 200);
assert.equal(res.body, 'hi');
assert.equal(res.elapsedMs, 0.412);
assert.equal(res.connectionId, '7');
assert.deepEqual(res.source, { ip: '127.0.0.1', port: 8080 });
x.http_core_output_clear(h);
assert.equal(x.http_core_output_len(h), 0);
assert.equal(x.http_core_output_count(h), 0);

// A malformed batch is an error value, never a trap.
ptr = x.http_core_input(10);
new Uint8Array(x.memory.buffer, ptr, 10).fill(2);
assert.ok(x.http_core_engine_feed(h, ptr, 10) < 0);
// ... and a log record, apart from the messages: one JSON object per line.
const records = new TextDecoder().decode(
  new Uint8Array(x.memory.buffer, x.http_core_records_ptr(h), x.http_core_records_len(h)));
assert.equal(JSON.parse(records.trimEnd()).message, 'malformed stream-event batch', records);
assert.equal(x.http_core_output_len(h), 0);
x.http_core_engine_finish(h, -1);
const statsPtr = x.http_core_engine_stats(h);
const mem = new Uint8Array(x.memory.buffer);
let end = statsPtr;
while (mem[end] !== 0) end++;
const stats = JSON.parse(new TextDecoder().decode(mem.subarray(statsPtr, end)));
assert.equal(stats.requests, 1);
assert.equal(stats.responses, 1);
assert.equal(stats.malformedBatches, 1);
x.http_core_engine_free(h);
// A body decoded after the core goes through the engine's body-field redaction.
const h2 = x.http_core_engine_new(65536, 134217728, 0, 0);
const fields = enc.encode('password');
ptr = x.http_core_input(fields.length);
new Uint8Array(x.memory.buffer, ptr, fields.length).set(fields);
assert.equal(x.http_core_engine_configure(h2, 2, ptr, fields.length), 0);
const redactBody = (type, body) => {
  const t = enc.encode(type);
  const b = enc.encode(body);
  const p = x.http_core_input(t.length + b.length);
  new Uint8Array(x.memory.buffer, p, t.length).set(t);
  new Uint8Array(x.memory.buffer, p + t.length, b.length).set(b);
  const len = x.http_core_redact_body(h2, p, t.length, p + t.length, b.length, 0);
  return len <= 0 ? len : new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.http_core_redacted_ptr(), len));
};
assert.equal(redactBody('application/json; charset=utf-8', '{"a":1,"password":"s3cret"}'), '{"a":1,"password":"[REDACTED]"}');
assert.equal(redactBody('application/x-www-form-urlencoded', 'a=1&password=s3cret'), 'a=1&password=[REDACTED]');
assert.equal(redactBody('text/plain', '{"password":"s3cret"}'), 0);
assert.equal(redactBody('application/json', '{"a":1}'), 0);
assert.equal(x.http_core_redact_body(0, 0, 0, 0, 0, 0), -1);
assert.equal(redactBody('application/json', '{"password":"s3cret",'), '{"password":"[REDACTED]",');
const stats2Ptr = x.http_core_engine_stats(h2);
const mem2 = new Uint8Array(x.memory.buffer);
let end2 = stats2Ptr;
while (mem2[end2] !== 0) end2++;
const stats2 = JSON.parse(new TextDecoder().decode(mem2.subarray(stats2Ptr, end2)));
assert.equal(stats2.bodiesRedacted, 3);
assert.equal(stats2.bodiesUnparsed, 1); // the last one ends inside the object, and cut was 0
x.http_core_engine_free(h2);
console.log('http_core.wasm: no imports, ABI exported, decoded 2 messages');
