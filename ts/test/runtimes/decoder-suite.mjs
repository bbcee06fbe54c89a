// The decoder suite as one runtime runs it: Node, Bun and Deno each run this same file on the same recorded
// streams (runtimes.test.ts writes them, then compares the reports). Portable: only the decoder bundle,
// node:fs and node:process, which all three provide.
//
// Usage: <runtime> decoder-suite.mjs DECODER_MJS CASES_JSON   prints one JSON report on stdout.
// CASES_JSON: [{ name, client: base64, server: base64, options }]
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [decoderPath, casesPath] = process.argv.slice(2);
const { decodeStreams, createDecoder, toHar } = await import(new URL(`file://${decoderPath}`).href);
const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));

const runtime = typeof globalThis.Deno !== 'undefined' ? 'deno' : typeof globalThis.Bun !== 'undefined' ? 'bun' : 'node';
const report = { runtime, cases: {} };
for (const c of cases) {
  const client = fromB64(c.client);
  const server = fromB64(c.server);
  const asSent = await decodeStreams(client, server, c.options);
  const decoded = await decodeStreams(client, server, { ...c.options, decodeBodies: true });
  // The push API delivers the same decoded messages, in order, once flush() resolves.
  const decoder = await createDecoder({ ...c.options, decodeBodies: true });
  const pushed = [];
  decoder.onMessage = (m) => pushed.push(m);
  decoder.open(1, { client: c.options.client, server: c.options.server });
  for (let at = 0; at < client.length; at += 1000) decoder.push(1, 'client', client.subarray(at, at + 1000));
  for (let at = 0; at < server.length; at += 777) decoder.push(1, 'server', server.subarray(at, at + 777));
  decoder.close(1);
  await decoder.flush();
  decoder.dispose();
  report.cases[c.name] = { asSent, decoded, pushed, har: toHar(decoded) };
}
process.stdout.write(JSON.stringify(report));
