// Measures how the native decoder agrees with tshark on the conformance corpus
// (../shared/corpus, see its README): tcpflow splits each capture into per-direction streams, the
// decoder (http-core-decode or its other llhttp build) decodes each connection, and messages are
// matched in order per connection and direction on direction, method, path, statusCode,
// httpVersion and (where tshark saw a body) bodySize.
//
//   node corpus_compare.mjs DECODER [CORPUS_DIR] [--list] [--min-rate R]
// With --min-rate it is a test: exit 1 below the rate, exit 77 (skipped) when the corpus or
// tcpflow is missing, saying so.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const list = args.includes('--list');
const rateAt = args.indexOf('--min-rate');
const minRate = rateAt >= 0 ? Number(args[rateAt + 1]) : undefined;
const [decoder, corpusArg] = args.filter((a, i) => !a.startsWith('--') && (rateAt < 0 || i !== rateAt + 1));
const corpus = corpusArg ?? join(import.meta.dirname ?? '.', '../../../shared/corpus');
if (!decoder) {
  console.error('usage: node corpus_compare.mjs DECODER [CORPUS_DIR] [--list] [--min-rate R]');
  process.exit(2);
}
if (!existsSync(join(corpus, 'pcaps'))) {
  console.log(`SKIPPED: no conformance corpus at ${corpus} (CI provides ../shared/corpus)`);
  process.exit(minRate !== undefined ? 77 : 2);
}
try { execFileSync('sh', ['-c', 'command -v tcpflow'], { stdio: 'ignore' }); } catch {
  console.log('SKIPPED: tcpflow is not installed');
  process.exit(minRate !== undefined ? 77 : 2);
}

// tcpflow names a stream "SRCIP.SRCPORT-DSTIP.DSTPORT" with zero-padded IPv4 octets.
function parseName(name) {
  const m = /^(.+)\.(\d{5})-(.+)\.(\d{5})((?:--\d+)?(?:c\d+)?)$/.exec(name);
  if (!m) return null;
  const ip = (s) => (/^\d{3}\.\d{3}\.\d{3}\.\d{3}$/.test(s) ? s.split('.').map(Number).join('.') : s);
  return { src: `${ip(m[1])}:${Number(m[2])}`, dst: `${ip(m[3])}:${Number(m[4])}`, suffix: m[5] ?? '' };
}

function looksLike(buf, re) { return re.test(buf.subarray(0, 64).toString('latin1')); }

let totalExpected = 0, totalMatched = 0, totalExtra = 0, bytes = 0, decodeMs = 0;
const perFile = [];
const work = mkdtempSync(join(tmpdir(), 'corpus-'));
for (const pcap of readdirSync(join(corpus, 'pcaps')).sort()) {
  const name = pcap.replace(/\.pcap(ng)?$/, '');
  const out = join(work, name);
  try { execFileSync('tcpflow', ['-r', join(corpus, 'pcaps', pcap), '-o', out], { stdio: 'ignore' }); } catch { /* damaged captures: use what was written */ }
  const files = existsSync(out) ? readdirSync(out).filter((f) => parseName(f)) : [];
  const seen = new Set();
  const ours = new Map(); // "client|server|direction" -> messages
  for (const f of files) {
    const a = parseName(f);
    const reverse = files.find((g) => { const b = parseName(g); return b.src === a.dst && b.dst === a.src && b.suffix === a.suffix; });
    const key = [a.src, a.dst].sort().join('|') + a.suffix;
    if (seen.has(key)) continue;
    seen.add(key);
    const fa = readFileSync(join(out, f));
    const fb = reverse ? readFileSync(join(out, reverse)) : Buffer.alloc(0);
    // The server is the side that speaks first with a status line, else the side that does not
    // send a request line, else the lower port.
    let aIsClient;
    if (looksLike(fb, /^HTTP\//)) aIsClient = true;
    else if (looksLike(fa, /^HTTP\//)) aIsClient = false;
    else if (looksLike(fa, /^[A-Z]+ /)) aIsClient = true;
    else if (looksLike(fb, /^[A-Z]+ /)) aIsClient = false;
    else aIsClient = Number(a.src.split(':').pop()) > Number(a.dst.split(':').pop());
    const client = aIsClient ? a.src : a.dst, server = aIsClient ? a.dst : a.src;
    const cf = join(out, aIsClient ? f : reverse ?? f), sf = reverse ? join(out, aIsClient ? reverse : f) : '/dev/null';
    const args2 = aIsClient ? [join(out, f), reverse ? join(out, reverse) : '/dev/null'] : [reverse ? join(out, reverse) : '/dev/null', join(out, f)];
    void cf; void sf;
    bytes += fa.length + fb.length;
    const t0 = performance.now();
    let text = '';
    try { text = execFileSync(decoder, args2, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28, timeout: 20000 }); } catch (e) { text = e.stdout ?? ''; }
    decodeMs += performance.now() - t0;
    for (const line of text.split('\n').filter(Boolean)) {
      const m = JSON.parse(line);
      const k = `${client}|${server}|${m.direction}`;
      if (!ours.has(k)) ours.set(k, []);
      ours.get(k).push(m);
    }
  }
  const expected = readFileSync(join(corpus, 'expected', `${name}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const groups = new Map();
  for (const e of expected) {
    const isReq = e.direction === 'request';
    const client = `${(isReq ? e.src : e.dst).ip}:${(isReq ? e.src : e.dst).port}`;
    const server = `${(isReq ? e.dst : e.src).ip}:${(isReq ? e.dst : e.src).port}`;
    const k = `${client}|${server}|${e.direction}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(e);
  }
  let matched = 0, ourCount = 0;
  const misses = [];
  for (const v of ours.values()) ourCount += v.length;
  for (const [k, exp] of groups) {
    const got = ours.get(k) ?? [];
    let j = 0;
    for (const e of exp) {
      const ok = (m) => m.direction === e.direction && (e.method === undefined || m.method === e.method) &&
        (e.path === undefined || m.path === e.path) && (e.statusCode === undefined || m.statusCode === e.statusCode) &&
        (e.httpVersion === undefined || m.httpVersion === e.httpVersion) &&
        (e.bodyLength === undefined || m.bodySize === e.bodyLength);
      let found = -1;
      for (let t = j; t < got.length && t < j + 8; t++) if (ok(got[t])) { found = t; break; }
      if (found >= 0) { matched++; j = found + 1; } else misses.push(`${e.direction} ${e.method ?? e.statusCode} ${e.path ?? ''} (frame ${e.frame})`);
    }
  }
  totalExpected += expected.length;
  totalMatched += matched;
  totalExtra += Math.max(0, ourCount - matched);
  perFile.push({ name, expected: expected.length, matched, ours: ourCount, misses });
}
rmSync(work, { recursive: true, force: true });
if (list) {
  const extra = perFile.filter((f) => f.ours > f.matched).sort((a, b) => (b.ours - b.matched) - (a.ours - a.matched));
  console.log(`most messages tshark has none for: ${extra.slice(0, 8).map((f) => `${f.name} +${f.ours - f.matched}`).join(', ')}`);
  for (const f of perFile) {
    if (f.matched < f.expected) console.log(`${f.name}: ${f.matched}/${f.expected} (ours ${f.ours})\n  ${f.misses.slice(0, 6).join('\n  ')}`);
  }
}
console.log(JSON.stringify({ decoder, captures: perFile.length, expected: totalExpected, matched: totalMatched,
  matchRate: +(totalMatched / totalExpected).toFixed(4), extraMessages: totalExtra,
  perfectCaptures: perFile.filter((f) => f.matched === f.expected).length, streamBytes: bytes }));
if (minRate !== undefined && totalMatched / totalExpected < minRate) {
  console.log(`FAILED: match rate ${(totalMatched / totalExpected).toFixed(4)} is below ${minRate}`);
  process.exit(1);
}
