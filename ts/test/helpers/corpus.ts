// Comparison of our messages with tshark's reading of the shared corpus (../shared/corpus/README.md):
// group by connection 4-tuple and direction, align each group in order, and explain every expected
// message we did not reproduce.
import type { Message } from './sniffer';

/** One line of expected/NAME.jsonl. */
export interface Expected {
  frame: number;
  stream: number;
  src: { ip: string; port: number };
  dst: { ip: string; port: number };
  direction: 'request' | 'response';
  method?: string;
  path?: string;
  httpVersion?: string;
  statusCode?: number;
  contentLengthHeader?: string;
  bodyLength?: number;
  headerCount?: number;
}

export interface Mismatch {
  /** `NAME:LINE`: the capture's file name and the 1-based line of the message in its expected file. */
  key: string;
  expected: Expected;
  reason: string;
}

export interface Comparison {
  matched: number;
  mismatches: Mismatch[];
  /** Messages we emitted that tshark has none for (not counted against us). */
  extras: Message[];
}

/** IPv6 in its canonical compressed form, so tshark's and ours compare equal; IPv4 as is. */
function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

function groupKey(src: { ip: string; port: number }, dst: { ip: string; port: number }, direction: string): string {
  return `${canonicalIp(src.ip)}:${src.port}>${canonicalIp(dst.ip)}:${dst.port}|${direction}`;
}

function matches(e: Expected, m: Message): boolean {
  return e.method === m.method && e.path === m.path && e.statusCode === m.statusCode &&
    e.httpVersion === m.httpVersion && (e.bodyLength === undefined || e.bodyLength === m.bodySize);
}

function describe(m: Expected | Message): string {
  return m.direction === 'request' ? `${m.method} ${m.path} HTTP/${m.httpVersion}` : `${m.statusCode} HTTP/${m.httpVersion}`;
}

/** Why `ours` (the message in the same place, if any) is not `e`. */
function explain(e: Expected, ours: Message | undefined): string {
  if (!ours) return 'not emitted';
  const diffs: string[] = [];
  for (const f of ['method', 'path', 'statusCode', 'httpVersion'] as const) {
    if (e[f] !== ours[f]) diffs.push(`${f} ${JSON.stringify(ours[f])} (tshark ${JSON.stringify(e[f])})`);
  }
  if (e.bodyLength !== undefined && e.bodyLength !== ours.bodySize) diffs.push(`bodySize ${ours.bodySize} (tshark ${e.bodyLength})`);
  if (ours.incomplete) diffs.push('ours incomplete');
  if (ours.error) diffs.push(`ours error "${ours.error}"`);
  return diffs.join(', ');
}

/** Longest common subsequence of the two lists under `matches`: pairs of indices, in order. */
function align(exp: Expected[], ours: Message[]): Array<[number, number]> {
  const n = exp.length;
  const m = ours.length;
  const len: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i][j] = matches(exp[i], ours[j]) ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
    }
  }
  const pairs: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < n && j < m;) {
    if (matches(exp[i], ours[j]) && len[i][j] === len[i + 1][j + 1] + 1) pairs.push([i++, j++]);
    else if (len[i + 1][j] >= len[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * REQUIRES: `expected` in the expected file's order; `ours` in emission order. Our connections are
 * ordered by numeric connectionId (the order they were opened), matching tshark's stream order when a
 * 4-tuple is reused.
 */
export function compareCapture(name: string, expected: Expected[], ours: Message[]): Comparison {
  const expGroups = new Map<string, Array<{ e: Expected; line: number }>>();
  expected
    .map((e, i) => ({ e, line: i + 1 }))
    .sort((a, b) => a.e.stream - b.e.stream || a.line - b.line)
    .forEach((x) => {
      const k = groupKey(x.e.src, x.e.dst, x.e.direction);
      expGroups.set(k, [...(expGroups.get(k) ?? []), x]);
    });
  const ourGroups = new Map<string, Message[]>();
  ours
    .map((m, i) => ({ m, i }))
    .sort((a, b) => Number(a.m.connectionId) - Number(b.m.connectionId) || a.i - b.i)
    .forEach(({ m }) => {
      const k = groupKey(m.source, m.destination, m.direction);
      ourGroups.set(k, [...(ourGroups.get(k) ?? []), m]);
    });

  let matched = 0;
  const mismatches: Mismatch[] = [];
  const extras: Message[] = [];
  for (const [k, exp] of expGroups) {
    const mine = ourGroups.get(k) ?? [];
    ourGroups.delete(k);
    const pairs = align(exp.map((x) => x.e), mine);
    matched += pairs.length;
    // Between two aligned pairs, the unmatched messages of both sides face each other in order.
    const bounds: Array<[number, number]> = [[-1, -1], ...pairs, [exp.length, mine.length]];
    for (let b = 0; b + 1 < bounds.length; b++) {
      const [i0, j0] = bounds[b];
      const [i1, j1] = bounds[b + 1];
      for (let i = i0 + 1, j = j0 + 1; i < i1; i++, j++) {
        const facing = j < j1 ? mine[j] : undefined;
        mismatches.push({ key: `${name}:${exp[i].line}`, expected: exp[i].e,
          reason: `frame ${exp[i].e.frame} ${describe(exp[i].e)}: ${explain(exp[i].e, facing)}` });
      }
      for (let j = j0 + 1 + Math.max(0, i1 - i0 - 1); j < j1; j++) extras.push(mine[j]);
    }
  }
  for (const rest of ourGroups.values()) extras.push(...rest);
  return { matched, mismatches, extras };
}

/** Keys listed in tests/conformance/mismatches.md: list items that start with a backticked `NAME:LINE`. */
export function listedKeys(markdown: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    const m = /^\s*[-*]\s+`([^`\s]+:\d+)`\s*(.*)$/.exec(line);
    if (m) keys.set(m[1], m[2]);
  }
  return keys;
}

export { describe as describeMessage };
