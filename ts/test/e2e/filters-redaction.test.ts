// Filters and redaction beyond headers, on real traffic: a real Node server and client talk on lo while
// tcpdump records; the CLI reads the capture (--read) with each option, and once live on lo with the
// options from the environment. Every filtered exchange is counted in the stop log's decoder stats; no
// secret the client or server sent reaches stdout.
import http from 'node:http';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDON, CLI, cleanEnv, jsonLines, requireArtifacts, runCli, runRequests, serve, sleep, spawnCli, startTcpdump, tempDir, waitFor,
  type RequestSpec,
} from '../runtime-support.js';

const SECRETS = ['q-secret-1', 'q-secret-2', 'hunter2', 'body-secret', 'srv-secret', 'form-secret', 'loc-secret'];

/** Answers JSON with a secret of its own, redirects with a code in Location, echoes everything else. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: '/next?code=loc-secret&state=kept-state' });
      res.end();
    } else if (req.url?.startsWith('/api/login')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, session: { token: 'srv-secret', user: 'ann' } }));
    } else {
      res.setHeader('content-type', 'text/plain');
      res.end(`seen ${Buffer.concat(chunks).length}`);
    }
  });
}

const LOGIN = JSON.stringify({ user: 'ann', password: 'hunter2', nested: [{ client_secret: 'body-secret' }] });
const REQUESTS: RequestSpec[] = [
  { method: 'GET', path: '/api/users?token=q-secret-1&page=2', headers: { host: 'api.example' } },
  { method: 'GET', path: '/health', headers: { host: 'probe.internal' } },
  { method: 'POST', path: '/api/login?api_key=q-secret-2', body: LOGIN, headers: { host: 'api.example', 'content-type': 'application/json' } },
  { method: 'POST', path: '/form', body: 'user=ann&password=form-secret', headers: { host: 'www.example', 'content-type': 'application/x-www-form-urlencoded' } },
  { method: 'DELETE', path: '/api/items/1', headers: { host: 'API.Example' } },
  { method: 'GET', path: '/redirect', headers: { host: 'www.example', referer: 'https://www.example/?sig=q-secret-1&from=kept-from' } },
];

let capture = '';
let port = 0;
beforeAll(async () => {
  requireArtifacts(CLI, ADDON);
  capture = join(tempDir('filters'), 'traffic.pcap');
  const target = await serve(handler);
  port = target.port;
  const dump = await startTcpdump(port, capture);
  try {
    await runRequests(port, REQUESTS);
  } finally {
    await target.close();
    await dump.stop();
  }
});

interface Run {
  code: number | null;
  messages: Array<Record<string, any>>;
  decoder: Record<string, number>;
  stderr: string;
  stdout: string;
}

async function read(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await runCli(['--read', capture, '--ports', String(port), ...args], { env: cleanEnv(env) });
  const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as { decoder?: Record<string, number> } | undefined;
  return { code: r.code, messages: r.code === 0 ? jsonLines(r.stdout) : [], decoder: stopped?.decoder ?? {}, stderr: r.stderr, stdout: r.stdout };
}

const requestPaths = (run: Run): string[] => run.messages.filter((m) => m.direction === 'request').map((m) => m.path.split('?')[0]);

describe('redaction beyond headers', () => {
  it('by default: query values, JSON and form fields become [REDACTED] in every message, nothing else changes', async () => {
    const run = await read([]);
    expect(run.code).toBe(0);
    expect(run.messages).toHaveLength(12);
    for (const s of SECRETS) expect(run.stdout).not.toContain(s);
    const req = (p: string): Record<string, any> => run.messages.find((m) => m.direction === 'request' && m.path.startsWith(p))!;
    expect(req('/api/users').path).toBe('/api/users?token=[REDACTED]&page=2');
    expect(req('/api/login').path).toBe('/api/login?api_key=[REDACTED]');
    expect(JSON.parse(req('/api/login').body)).toEqual({ user: 'ann', password: '[REDACTED]', nested: [{ client_secret: '[REDACTED]' }] });
    expect(req('/api/login').bodySize).toBe(Buffer.byteLength(LOGIN)); // the wire size
    expect(req('/form').body).toBe('user=ann&password=[REDACTED]');
    expect(req('/redirect').headers.referer).toBe('https://www.example/?sig=[REDACTED]&from=kept-from');
    const login = run.messages.find((m) => m.direction === 'response' && m.exchange === 3)!;
    expect(JSON.parse(login.body)).toEqual({ ok: true, session: { token: '[REDACTED]', user: 'ann' } });
    const redirect = run.messages.find((m) => m.statusCode === 302)!;
    expect(redirect.headers.location).toBe('/next?code=[REDACTED]&state=kept-state');
    expect(run.decoder.urlsRedacted).toBe(4); // two paths, one referer, one location
    expect(run.decoder.bodiesRedacted).toBe(3); // login request and response, the form
    expect(run.decoder.bodiesUnparsed).toBe(0);
    expect(run.decoder.exchangesFiltered).toBe(0);
  });

  it('names given are added to the defaults; dropping the defaults warns, and is refused in production', async () => {
    const more = await read(['--redact-query-params', 'page,state', '--redact-body-fields', 'USER']);
    expect(more.code).toBe(0);
    const paths = more.messages.filter((m) => m.direction === 'request').map((m) => m.path);
    expect(paths).toContain('/api/users?token=[REDACTED]&page=[REDACTED]');
    expect(more.messages.find((m) => m.statusCode === 302)!.headers.location).toBe('/next?code=[REDACTED]&state=[REDACTED]');
    expect(more.messages.find((m) => m.path?.startsWith('/form'))!.body).toBe('user=[REDACTED]&password=[REDACTED]');

    const none = await read([], { REDACT_DEFAULT_QUERY_PARAMS: 'false', REDACT_DEFAULT_BODY_FIELDS: 'false' });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('token=q-secret-1');
    expect(none.stdout).toContain('hunter2');
    expect(none.decoder.urlsRedacted + none.decoder.bodiesRedacted).toBe(0);
    const warnings = jsonLines(none.stderr).filter((l) => l.level === 'warn').map((l) => l.key);
    expect(warnings).toEqual(expect.arrayContaining(['redactDefaultQueryParams', 'redactDefaultBodyFields']));

    const production = await read([], { REDACT_DEFAULT_QUERY_PARAMS: 'false', TCP_SNIFFER_PRODUCTION: '1' });
    expect(production.code).toBe(1);
    expect(production.stderr).toContain('invalid REDACT_DEFAULT_QUERY_PARAMS: true in production');
    const flag = await read(['--redact-default-body-fields', 'false'], { NODE_ENV: 'production' });
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('invalid --redact-default-body-fields: true in production');
  });
});

describe('filters', () => {
  const cases: Array<{ name: string; args: string[]; kept: string[] }> = [
    { name: '--http-allow-url', args: ['--http-allow-url', '^/api/'], kept: ['/api/users', '/api/login', '/api/items/1'] },
    { name: '--http-disallow-url', args: ['--http-disallow-url', '^/(health|redirect)'], kept: ['/api/users', '/api/login', '/form', '/api/items/1'] },
    { name: '--http-allow-method', args: ['--http-allow-method', 'post,DELETE'], kept: ['/api/login', '/form', '/api/items/1'] },
    { name: '--http-allow-host', args: ['--http-allow-host', '^api\\.example$'], kept: ['/api/users', '/api/login', '/api/items/1'] },
    { name: 'all four together', args: ['--http-allow-url', '^/api/', '--http-disallow-url', 'items', '--http-allow-method', 'GET,POST', '--http-allow-host', 'API'], kept: ['/api/users', '/api/login'] },
  ];
  for (const c of cases) {
    it(`${c.name}: refused exchanges (request and response) are left out and counted`, async () => {
      const run = await read(c.args);
      expect(run.code).toBe(0);
      expect(requestPaths(run)).toEqual(c.kept);
      const exchanges = new Set(run.messages.filter((m) => m.direction === 'request').map((m) => m.exchange));
      expect(run.messages.filter((m) => m.direction === 'response').every((m) => exchanges.has(m.exchange))).toBe(true);
      expect(run.messages).toHaveLength(2 * c.kept.length);
      expect(run.decoder.exchangesFiltered).toBe(REQUESTS.length - c.kept.length);
      expect(run.decoder.messagesFiltered).toBe(2 * (REQUESTS.length - c.kept.length));
      expect(run.decoder.requests).toBe(c.kept.length);
    });
  }

  it('an invalid pattern is a configuration error naming the flag or the variable (exit 1)', async () => {
    const flag = await read(['--http-allow-url', '^/api/(v1|v2']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('invalid --http-allow-url: regular expression of the supported syntax (missing ) at offset 6)');
    const env = await read([], { HTTP_DISALLOW_URL: '(?<=x)' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('invalid HTTP_DISALLOW_URL: regular expression of the supported syntax');
    const method = await read([], { HTTP_ALLOW_METHOD: 'GET,,POST' });
    expect(method.code).toBe(1);
    expect(method.stderr).toContain('invalid HTTP_ALLOW_METHOD: comma-separated method names');
  });

  it('live on lo, options from the environment: filtered and redacted as offline', async () => {
    const target = await serve(handler);
    const run = spawnCli(['--interface', 'lo', '--ports', String(target.port)], {
      env: cleanEnv({ HTTP_ALLOW_URL: '^/api/', HTTP_ALLOW_METHOD: 'GET,POST', REDACT_QUERY_PARAMS: 'page' }),
    });
    try {
      await waitFor(() => run.stderrSoFar().includes('"capturing"'), 20_000, 'the capture to open');
      await runRequests(target.port, REQUESTS);
      await waitFor(() => run.stdoutSoFar().split('\n').length - 1 >= 4, 20_000, 'the kept messages');
      await sleep(500); // the filtered exchanges after the last kept one reach the core too
      run.proc.kill('SIGTERM');
      const r = await run.result;
      expect(r.code).toBe(0);
      const messages = jsonLines(r.stdout) as Array<Record<string, any>>;
      expect(messages.filter((m) => m.direction === 'request').map((m) => m.path)).toEqual([
        '/api/users?token=[REDACTED]&page=[REDACTED]', '/api/login?api_key=[REDACTED]',
      ]);
      for (const s of SECRETS) expect(r.stdout).not.toContain(s);
      const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as { decoder: Record<string, number> };
      expect(stopped.decoder.exchangesFiltered).toBe(4);
      expect(stopped.decoder.messagesFiltered).toBe(8);
    } finally {
      run.proc.kill('SIGKILL');
      await target.close();
    }
  });
});
