// The filters' patterns: compiled here (src/url-pattern.ts), run by the real http-core (.wasm). Every pattern
// of the table must decide like JavaScript's RegExp#test on every text, since the syntax is a subset with
// the same meaning; refused patterns name the problem and its offset.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, ValidationError } from '../src/config.js';
import { compilePattern, PATTERN_LIMITS, PatternError } from '../src/url-pattern.js';
import { CoreModule, HttpCore } from '../src/wasm/core.js';
import {
  DIR_CLIENT_TO_SERVER, EVENT_HEADER_BYTES, KIND_CLOSE, KIND_DATA, KIND_OPEN, OPEN_PAYLOAD_BYTES, parseIp,
  writeEventHeader, writeOpenPayload,
} from '../src/wasm/events.js';
import { requireArtifacts, WASM } from './runtime-support.js';

let module: CoreModule;
beforeAll(async () => {
  requireArtifacts(WASM);
  module = await CoreModule.instantiate(readFileSync(WASM));
});

/** One connection with one request per target, through a core that filters on `pattern`: the targets kept. */
function keptTargets(pattern: string, targets: string[]): string[] {
  const core = new HttpCore(module, {
    maxBodySize: 0, maxBufferedBytes: 1 << 20, redactHeaders: [], filters: { allowUrl: compilePattern(pattern) },
  });
  const ip = parseIp('10.0.0.1')!;
  const requests = Buffer.from(targets.map((t) => `GET ${t} HTTP/1.1\r\nHost: h\r\n\r\n`).join(''), 'latin1');
  const batch = new Uint8Array(3 * EVENT_HEADER_BYTES + OPEN_PAYLOAD_BYTES + requests.length);
  const view = new DataView(batch.buffer);
  writeEventHeader(view, 0, KIND_OPEN, 1, OPEN_PAYLOAD_BYTES, 1n, 0);
  writeOpenPayload(view, EVENT_HEADER_BYTES, { ...ip, port: 40000 }, { ...ip, port: 80 });
  let at = EVENT_HEADER_BYTES + OPEN_PAYLOAD_BYTES;
  writeEventHeader(view, at, KIND_DATA, DIR_CLIENT_TO_SERVER, requests.length, 1n, 1);
  batch.set(requests, at + EVENT_HEADER_BYTES);
  at += EVENT_HEADER_BYTES + requests.length;
  writeEventHeader(view, at, KIND_CLOSE, 0, 0, 1n, 2);
  let text = '';
  const status = core.feed(batch, (output) => (text = new TextDecoder().decode(output.jsonl)));
  expect(status).toBe(0);
  const kept = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).path as string);
  const stats = core.stats() as { exchangesFiltered: number };
  expect(stats.exchangesFiltered).toBe(targets.length - kept.length);
  core.free();
  return kept;
}

const TEXTS = [
  '/', '/api', '/api/', '/api/users', '/api/users/42', '/API/users', '/v1/api/users', '/health', '/healthz',
  '/users/123/orders', '/users/abc', '/a.b', '/a-b', '/x?token=1', '/x?y=2&token=3', '/static/app.js',
  '/static/app.css', '/%20space', '/{id}', '/aaaa', '/ab', '/b', '/a_b9',
];
const PATTERNS = [
  '^/api/', '^/api(/|$)', 'health$', '^/users/\\d+(/|$)', '^/users/[0-9]+', '\\.(js|css)$', '^/static/.*\\.js$',
  'token=', '[?&]token=', '^/(a|b)+$', '^/a*b$', '^/a{2,3}', '^/a{4}$', '^/a{2,}$', '^/[^/]*$', '^/\\w+$', '\\s',
  '^/[a-c.]+$', '^/[-a]', '^/\\{id\\}$', '{id}', '^/%20', '^/(?:api|health)', 'é', '^/(a*)*b$', '^(/a|/ab)$',
  '^/.?.?b$', '\\x2f', '[\\d_]', 'a|^/b$|z', '^$', '(^/a|b$)',
];

describe('url patterns', () => {
  for (const pattern of PATTERNS) {
    it(`${pattern} decides like RegExp#test`, () => {
      const re = new RegExp(pattern);
      expect(keptTargets(pattern, TEXTS)).toEqual(TEXTS.filter((t) => re.test(t)));
    });
  }

  it('reads a catastrophic pattern over a long text once (a backtracking engine would not return)', () => {
    // Under the 8 KiB a start line may have where a connection's first bytes are searched (http-core/README.md).
    const long = '/' + 'a'.repeat(7_000);
    expect(keptTargets('^/(a*)*$', [long + 'b', long])).toEqual([long]);
    expect(keptTargets('(a|aa)+c', [long])).toEqual([]);
  });

  it('refuses what it does not support, naming the problem and where', () => {
    const refused: Array<[string, string, number]> = [
      ['(', 'missing )', 0], ['a)', 'unmatched )', 1], ['*a', 'nothing to repeat', 0], ['a**', 'repeat of a repeat', 2],
      ['[a', 'missing ]', 0], ['[z-a]', 'range out of order', 1], ['\\1', 'unsupported escape \\1', 0],
      ['(?=a)', 'unsupported group (only ( ) and (?: ))', 0], ['(?<n>a)', 'unsupported group (only ( ) and (?: ))', 0],
      ['\\b', 'unsupported escape \\b', 0], ['\\p{L}', 'unsupported escape \\p', 0], ['a{101}', 'repeat count above 100', 1],
      ['a{3,2}', 'repeat range max below min', 1], ['^*', 'nothing to repeat', 1], ['', 'empty pattern', 0],
      ['[é]', 'non-ASCII character in a class', 1], ['\\', 'trailing backslash', 0], ['[[:alpha:]]', 'unsupported POSIX class', 1],
    ];
    for (const [pattern, reason, offset] of refused) {
      let err: unknown;
      try { compilePattern(pattern); } catch (e) { err = e; }
      expect(err, pattern).toBeInstanceOf(PatternError);
      expect((err as PatternError).reason, pattern).toBe(reason);
      expect((err as PatternError).offset, pattern).toBe(offset);
    }
    expect(() => compilePattern('(a{100}){100}')).toThrow(/too large/);
    expect(() => compilePattern('a'.repeat(PATTERN_LIMITS.maxSourceLength + 1))).toThrow(/longer than/);
  });

  it('a refused pattern is a configuration error naming the option', () => {
    let err: unknown;
    try { parseRaw('httpAllowUrl', '^/api/(v1|v2'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe('invalid httpAllowUrl: regular expression of the supported syntax (missing ) at offset 6)');
  });
});
