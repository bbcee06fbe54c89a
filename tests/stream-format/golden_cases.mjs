// Reads fixtures/stream-events/cases.md for the JavaScript tests (the TS writers' test and the .wasm
// smoke test): each case's events in words and its batch bytes. The C++ tests read it with
// golden_cases.cc. Throws an Error naming the line on anything malformed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CASES_PATH = fileURLToPath(new URL('../../fixtures/stream-events/cases.md', import.meta.url));

const REASONS = ['fin', 'rst', 'idle', 'evicted', 'shutdown'];
const DIRS = ['client-to-server', 'server-to-client'];

function unquote(text, fail) {
  const out = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out.push(...new TextEncoder().encode(c));
      continue;
    }
    const e = text[++i];
    if (e === 'r') out.push(13);
    else if (e === 'n') out.push(10);
    else if (e === 't') out.push(9);
    else if (e === '\\' || e === '"') out.push(e.charCodeAt(0));
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else fail(`bad escape \\${e ?? ''}`);
  }
  return new Uint8Array(out);
}

function endpoint(text, fail) {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text ?? '');
  if (!m) fail(`not ADDR:PORT: ${text}`);
  return { ip: m[1] ?? m[2], version: m[1] ? 6 : 4, port: Number(m[3]) };
}

function parseEvent(line, fail) {
  const quote = line.indexOf('"');
  const words = (quote < 0 ? line : line.slice(0, quote)).trim().split(/\s+/);
  const kind = words.shift();
  const fields = new Map();
  let sampled = false;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0 && w === 'sampled') sampled = true;
    else if (eq < 0) fail(`unknown word ${w}`);
    else fields.set(w.slice(0, eq), w.slice(eq + 1));
  }
  const take = (key) => {
    if (!fields.has(key)) fail(`${kind} needs ${key}=`);
    const v = fields.get(key);
    fields.delete(key);
    return v;
  };
  const ev = { kind, conn: BigInt(take('conn')), ts: BigInt(take('ts')) };
  if (kind === 'open') {
    Object.assign(ev, { sampled, client: endpoint(take('client'), fail), server: endpoint(take('server'), fail) });
  } else if (kind === 'data' || kind === 'gap') {
    ev.dir = DIRS.indexOf(take('dir'));
    if (ev.dir < 0) fail(`${kind} needs dir=${DIRS.join('|')}`);
    if (kind === 'gap') ev.lost = BigInt(take('lost'));
    else if (quote < 0 || !line.trimEnd().endsWith('"')) fail('data needs its bytes in double quotes');
    else ev.data = unquote(line.trimEnd().slice(quote + 1, -1), fail);
  } else if (kind === 'close') {
    ev.reason = REASONS.indexOf(take('reason'));
    if (ev.reason < 0) fail(`close needs reason=${REASONS.join('|')}`);
  } else {
    fail(`unknown event ${kind}`);
  }
  if (fields.size) fail(`unknown field ${[...fields.keys()][0]}`);
  return ev;
}

/** @returns {{ title: string, line: number, events: object[], bytes: Uint8Array }[]} */
export function readGoldenCases(path = CASES_PATH) {
  const cases = [];
  let block = null;
  let hex = '';
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const fail = (why) => { throw new Error(`${path}:${i + 1}: ${why}`); };
    const current = cases[cases.length - 1];
    if (line.startsWith('```')) {
      if (block === 'hex') current.bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
      if (block) block = null;
      else if (!current) block = 'other';
      else if (line === '```events' || line === '```hex') { block = line.slice(3); hex = ''; }
      else fail('a case\'s blocks are ```events and ```hex');
    } else if (!block && line.startsWith('## ')) {
      cases.push({ title: line.slice(3), line: i + 1, events: [], bytes: new Uint8Array(0) });
    } else if (block === 'events' && line.trim()) {
      current.events.push(parseEvent(line, fail));
    } else if (block === 'hex') {
      const digits = line.replace(/ /g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(digits)) fail('hex needs pairs of hex digits');
      hex += digits;
    }
  });
  if (!cases.length) throw new Error(`no cases in ${path}`);
  for (const c of cases) {
    if (!c.events.length || !c.bytes.length) throw new Error(`${path}:${c.line}: case without events or bytes`);
  }
  return cases;
}
