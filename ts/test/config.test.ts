import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_HEADERS, INTEGER_LIMITS, parseRaw, RULES, validateConfig, validateDecoderOptions, ValidationError, type RawKey } from '../src/config.js';

interface Case { key: RawKey; raw: string; production: boolean; valid: boolean; rule: string }
const cases = JSON.parse(readFileSync(join(__dirname, '../../fixtures/validation/cases.json'), 'utf8')) as Case[];

describe('shared validation cases', () => {
  it('cover every key with valid and invalid values', () => {
    const keys = new Set(cases.map((c) => c.key));
    for (const k of ['ports', 'outputUrl', 'interface', 'sampleRate', 'maxBodySize', 'maxConcurrentConnections',
      'connectionIdleTimeoutMs', 'drainTimeoutMs', 'maxBufferedBytes', 'captureBufferBytes', 'redactHeaders', 'outputStdout',
      'outputUrlAuthToken', 'captureFile', 'logLevel', 'redactDefaultHeaders', 'decodeBodies', 'outputHar']) {
      expect(keys.has(k as RawKey), k).toBe(true);
      expect(cases.some((c) => c.key === k && c.valid), `${k} valid`).toBe(true);
      expect(cases.some((c) => c.key === k && !c.valid), `${k} invalid`).toBe(true);
    }
  });

  for (const c of cases) {
    const name = `${c.key} ${JSON.stringify(c.raw)}${c.production ? ' (production)' : ''} → ${c.valid ? 'valid' : c.rule}`;
    it(name, () => {
      let error: unknown;
      try {
        parseRaw(c.key, c.raw, { production: c.production });
      } catch (e) {
        error = e;
      }
      if (c.valid) {
        expect(error).toBeUndefined();
      } else {
        expect(error).toBeInstanceOf(ValidationError);
        const v = error as ValidationError;
        expect(v.field).toBe(c.key);
        expect(v.rule).toBe(c.rule);
        expect(v.message).toContain(c.key);
        expect(v.message).toContain(c.rule);
      }
    });
  }
});

describe('parseRaw values', () => {
  it('converts what it accepts', () => {
    expect(parseRaw('ports', ' 80, 0443 ,8080')).toEqual([80, 443, 8080]);
    expect(parseRaw('sampleRate', '.25')).toBe(0.25);
    expect(parseRaw('maxBodySize', '00')).toBe(0);
    expect(parseRaw('redactHeaders', 'X-Api-Key, x-api-key,Cookie')).toEqual(['x-api-key', 'cookie']);
    expect(parseRaw('redactHeaders', '')).toEqual([]);
    expect(parseRaw('outputStdout', 'FALSE')).toBe(false);
    expect(parseRaw('outputUrl', 'HTTPS://Collector.Example:8443/in?x=1').href).toBe('https://collector.example:8443/in?x=1');
    expect(parseRaw('logLevel', 'WARN')).toBe('warn');
  });

  it('never echoes a token or a URL in its errors', () => {
    const token = 'sekret\ntoken';
    expect(() => parseRaw('outputUrlAuthToken', token)).toThrow(ValidationError);
    try { parseRaw('outputUrlAuthToken', token); } catch (e) { expect(String((e as Error).message)).not.toContain('sekret'); }
    try { parseRaw('outputUrl', 'https://user:hunter2@collector.example/'); } catch (e) { expect((e as Error).message).not.toContain('hunter2'); }
    try { parseRaw('outputUrl', 'ftp://x.example/?key=hunter2'); } catch (e) { expect((e as Error).message).not.toContain('hunter2'); }
  });
});

describe('validateConfig', () => {
  const env = {};
  const fails = (config: object, field: string, rule: string, e: Record<string, string> = env): void => {
    let error: unknown;
    try {
      validateConfig(config as never, e);
    } catch (x) {
      error = x;
    }
    expect(error, JSON.stringify(config)).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).rule).toBe(rule);
  };

  it('fills the defaults of docs/configuration.md', () => {
    const c = validateConfig({ ports: [8080] }, env);
    expect(c).toMatchObject({
      ports: [8080], interface: 'any', outputStdout: false, sampleRate: 1, maxBodySize: 65536,
      maxConcurrentConnections: 10000, connectionIdleTimeoutMs: 60000, drainTimeoutMs: 25000,
      maxBufferedBytes: 134217728, captureBufferBytes: 12582912, production: false,
    });
    expect(c.redactHeaders).toEqual([...DEFAULT_REDACT_HEADERS]);
    expect(c.outputUrl).toBeUndefined();
    expect(c.placement).toBeUndefined();
    expect(c.decodeBodies).toBe(false);
    expect(c.outputHar).toBeUndefined();
  });

  it('decodes bodies when asked, and by default when a HAR is written', () => {
    expect(validateConfig({ ports: [80], decodeBodies: true }, env).decodeBodies).toBe(true);
    expect(validateConfig({ ports: [80], outputHar: 'x.har' }, env)).toMatchObject({ decodeBodies: true, outputHar: 'x.har' });
    expect(validateConfig({ ports: [80], outputHar: 'x.har', decodeBodies: false }, env).decodeBodies).toBe(false);
    fails({ ports: [80], decodeBodies: 'true' }, 'decodeBodies', 'true or false');
    fails({ ports: [80], outputHar: '' }, 'outputHar', 'non-empty path');
    fails({ ports: [80], outputHar: 7 }, 'outputHar', 'non-empty path');
  });

  it('requires ports unless a capture file is read', () => {
    fails({}, 'ports', 'required unless captureFile is set');
    expect(validateConfig({ captureFile: 'any.pcap' }, env).ports).toEqual([]);
    fails({ ports: [] }, 'ports', 'non-empty list');
    fails({ ports: [0] }, 'ports', 'integers 1-65535');
    fails({ ports: [65536] }, 'ports', 'integers 1-65535');
    fails({ ports: [80.5] }, 'ports', 'integers 1-65535');
    fails({ ports: ['80'] }, 'ports', 'integers 1-65535');
    fails({ ports: [NaN] }, 'ports', 'integers 1-65535');
    fails({ ports: 80 }, 'ports', 'non-empty list');
    fails({ ports: [80, 443, 80] }, 'ports', 'no duplicates');
    expect(validateConfig({ ports: [1, 65535] }, env).ports).toEqual([1, 65535]);
  });

  it('checks numbers by type and range', () => {
    fails({ ports: [80], sampleRate: 1.5 }, 'sampleRate', 'decimal number in [0, 1]');
    fails({ ports: [80], sampleRate: NaN }, 'sampleRate', 'decimal number in [0, 1]');
    fails({ ports: [80], sampleRate: '0.5' }, 'sampleRate', 'decimal number in [0, 1]');
    expect(Object.is(validateConfig({ ports: [80], sampleRate: -0 }, env).sampleRate, 0)).toBe(true);
    fails({ ports: [80], maxBodySize: -1 }, 'maxBodySize', 'integer from 0 to 134217728');
    fails({ ports: [80], maxBodySize: 1.5 }, 'maxBodySize', 'integer from 0 to 134217728');
    fails({ ports: [80], maxBodySize: Infinity }, 'maxBodySize', 'integer from 0 to 134217728');
    expect(validateConfig({ ports: [80], maxBodySize: 0 }, env).maxBodySize).toBe(0);
    fails({ ports: [80], maxConcurrentConnections: 0 }, 'maxConcurrentConnections', 'integer from 1 to 250000');
    fails({ ports: [80], connectionIdleTimeoutMs: 999 }, 'connectionIdleTimeoutMs', 'integer from 1000 to 2147483647');
    fails({ ports: [80], drainTimeoutMs: -1 }, 'drainTimeoutMs', 'integer from 0 to 2147483647');
    fails({ ports: [80], maxBufferedBytes: 1048575 }, 'maxBufferedBytes', 'integer from 1048576 to 1073741824');
    fails({ ports: [80], captureBufferBytes: 2 ** 30 + 1 }, 'captureBufferBytes', 'integer from 1048576 to 1073741824');
    fails({ ports: [80], captureBufferBytes: 65536 }, 'captureBufferBytes', 'integer from 1048576 to 1073741824');
  });

  it('bounds every integer option above: the maximum is accepted, one more is refused naming the field', () => {
    // 2^32 would wrap to 0 in the u32 the core takes; every option has a maximum that fits where it goes.
    fails({ ports: [80], maxBodySize: 2 ** 32 }, 'maxBodySize', 'integer from 0 to 134217728');
    const expected: Record<string, [number, number]> = {
      maxBodySize: [0, 134_217_728],
      maxConcurrentConnections: [1, 250_000],
      connectionIdleTimeoutMs: [1000, 2 ** 31 - 1],
      drainTimeoutMs: [0, 2 ** 31 - 1],
      maxBufferedBytes: [2 ** 20, 2 ** 30],
      captureBufferBytes: [2 ** 20, 2 ** 30],
      metricsPort: [1, 65535],
      metricsMaxRoutes: [1, 10_000],
    };
    expect(Object.keys(INTEGER_LIMITS).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, { min, max }] of Object.entries(INTEGER_LIMITS)) {
      expect([min, max]).toEqual(expected[key]);
      // A port says its range in a port's words; every other integer in the table's.
      const rule = key === 'metricsPort' ? 'integer 1-65535' : `integer from ${min} to ${max}`;
      expect(RULES[key as keyof typeof RULES]).toBe(rule);
      expect((validateConfig({ ports: [80], [key]: max }, env) as unknown as Record<string, number>)[key]).toBe(max);
      expect((validateConfig({ ports: [80], [key]: min }, env) as unknown as Record<string, number>)[key]).toBe(min);
      fails({ ports: [80], [key]: max + 1 }, key, rule);
      fails({ ports: [80], [key]: min - 1 }, key, rule);
      expect(parseRaw(key as RawKey, String(max))).toBe(max);
      expect(() => parseRaw(key as RawKey, String(max + 1))).toThrow(`invalid ${key}: ${rule} (got ${max + 1})`);
    }
    // The decoder takes two of them, by the same table.
    expect(() => validateDecoderOptions({ maxBodySize: 2 ** 32 })).toThrow('invalid maxBodySize: integer from 0 to 134217728');
    expect(() => validateDecoderOptions({ maxBufferedBytes: 2 ** 30 + 1 })).toThrow('invalid maxBufferedBytes');
  });

  it('checks the collector URL, never with a bare TypeError', () => {
    fails({ ports: [80], outputUrl: 'not a url' }, 'outputUrl', 'absolute http(s) URL');
    fails({ ports: [80], outputUrl: '/relative' }, 'outputUrl', 'absolute http(s) URL');
    fails({ ports: [80], outputUrl: 'ftp://x.example/' }, 'outputUrl', 'absolute http(s) URL');
    fails({ ports: [80], outputUrl: 42 }, 'outputUrl', 'absolute http(s) URL');
    fails({ ports: [80], outputUrl: 'https://u:p@x.example/' }, 'outputUrl', 'no credentials in URL');
    expect(validateConfig({ ports: [80], outputUrl: 'http://x.example/in' }, env).outputUrl?.href).toBe('http://x.example/in');
  });

  it('requires https: in production, from TCP_SNIFFER_PRODUCTION=1 or NODE_ENV=production', () => {
    const http = { ports: [80], outputUrl: 'http://x.example/in' };
    fails(http, 'outputUrl', 'https: in production', { TCP_SNIFFER_PRODUCTION: '1' });
    fails(http, 'outputUrl', 'https: in production', { NODE_ENV: 'production' });
    expect(validateConfig(http, { TCP_SNIFFER_PRODUCTION: '0', NODE_ENV: 'development' }).production).toBe(false);
    const c = validateConfig({ ports: [80], outputUrl: 'https://x.example/in' }, { NODE_ENV: 'production' });
    expect(c.production).toBe(true);
    expect(c.outputUrl?.protocol).toBe('https:');
  });

  it('adds listed headers to the default redaction, lower-cased; an empty list keeps the defaults', () => {
    expect(validateConfig({ ports: [80], redactHeaders: ['X-Api-Key', 'Cookie'] }, env).redactHeaders)
      .toEqual([...DEFAULT_REDACT_HEADERS, 'x-api-key']);
    expect(validateConfig({ ports: [80], redactHeaders: [] }, env).redactHeaders).toEqual([...DEFAULT_REDACT_HEADERS]);
    fails({ ports: [80], redactHeaders: ['bad header'] }, 'redactHeaders', 'comma-separated header names');
    fails({ ports: [80], redactHeaders: 'cookie' }, 'redactHeaders', 'comma-separated header names');
  });

  it('drops the default redaction only on redactDefaultHeaders: false, and never in production', () => {
    const off = validateConfig({ ports: [80], redactHeaders: ['x-api-key'], redactDefaultHeaders: false }, env);
    expect(off.redactHeaders).toEqual(['x-api-key']);
    expect(off.redactDefaultHeaders).toBe(false);
    expect(validateConfig({ ports: [80], redactDefaultHeaders: false }, env).redactHeaders).toEqual([]);
    expect(validateConfig({ ports: [80], redactDefaultHeaders: true }, env).redactHeaders).toEqual([...DEFAULT_REDACT_HEADERS]);
    fails({ ports: [80], redactDefaultHeaders: 'false' }, 'redactDefaultHeaders', 'true or false');
    fails({ ports: [80], redactDefaultHeaders: false }, 'redactDefaultHeaders', 'true in production', { TCP_SNIFFER_PRODUCTION: '1' });
    fails({ ports: [80], redactDefaultHeaders: false }, 'redactDefaultHeaders', 'true in production', { NODE_ENV: 'production' });
    expect(validateConfig({ ports: [80], redactDefaultHeaders: true }, { TCP_SNIFFER_PRODUCTION: '1' }).redactDefaultHeaders).toBe(true);
  });

  it('never sends a token to an http: collector, in production or not', () => {
    const token = 'tsn-secret-7c1e';
    for (const e of [{}, { TCP_SNIFFER_PRODUCTION: '0' }]) {
      fails({ ports: [80], outputUrl: 'http://x.example/in', outputUrlAuthToken: token }, 'outputUrlAuthToken', 'requires an https: collector URL', e);
    }
    try {
      validateConfig({ ports: [80], outputUrl: 'http://x.example/in', outputUrlAuthToken: token }, env);
    } catch (e) {
      expect((e as Error).message).not.toContain(token);
    }
    // Without a token, http: stays allowed outside production; with https:, the token is fine.
    expect(validateConfig({ ports: [80], outputUrl: 'http://x.example/in' }, env).outputUrl?.protocol).toBe('http:');
    expect(validateConfig({ ports: [80], outputUrl: 'https://x.example/in', outputUrlAuthToken: token }, env).outputUrlAuthToken).toBe(token);
  });

  it('checks the other keys', () => {
    fails({ ports: [80], interface: '' }, 'interface', '1-15 characters, no whitespace or /');
    fails({ ports: [80], interface: 'x'.repeat(16) }, 'interface', '1-15 characters, no whitespace or /');
    fails({ ports: [80], outputStdout: 'true' }, 'outputStdout', 'true or false');
    fails({ ports: [80], onHttpMessage: 'log' }, 'onHttpMessage', 'a function');
    fails({ ports: [80], outputUrlAuthToken: 'a b' }, 'outputUrlAuthToken', 'visible ASCII characters only');
    fails({ captureFile: '' }, 'captureFile', 'non-empty path');
    fails({ ports: [80], placement: { pod: 5 } }, 'placement.pod', 'object of strings pod, namespace, node, podIp');
    fails({ ports: [80], maxBodysize: 10 }, 'maxBodysize', 'unknown option');
    fails(null as never, 'config', 'an object');
    const c = validateConfig({ ports: [80], placement: { pod: 'p', namespace: '', node: 'n' }, outputUrlAuthToken: '' }, env);
    expect(c.placement).toEqual({ pod: 'p', node: 'n' });
    expect(c.outputUrlAuthToken).toBeUndefined();
  });

  it('reads production from process.env when no env is given', () => {
    const saved = process.env.TCP_SNIFFER_PRODUCTION;
    process.env.TCP_SNIFFER_PRODUCTION = '1';
    try {
      expect(() => validateConfig({ ports: [80], outputUrl: 'http://x.example/' })).toThrow(/https: in production/);
    } finally {
      if (saved === undefined) delete process.env.TCP_SNIFFER_PRODUCTION;
      else process.env.TCP_SNIFFER_PRODUCTION = saved;
    }
  });
});
