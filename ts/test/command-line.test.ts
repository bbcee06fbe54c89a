import { describe, expect, it } from 'vitest';
import { INTEGER_LIMITS, RULES, validateConfig, ValidationError } from '../src/config.js';
import { helpText, OPTIONS, parseCommandLine } from '../src/command-line.js';

const error = (argv: string[], env: Record<string, string> = {}): ValidationError => {
  try {
    parseCommandLine(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error(`accepted ${JSON.stringify({ argv, env })}`);
};

describe('parseCommandLine', () => {
  it('reads every variable of docs/configuration.md', () => {
    const { config, logLevel } = parseCommandLine([], {
      PORTS: '8080, 9090', INTERFACE: 'eth0', OUTPUT_URL: 'https://c.example/in', OUTPUT_URL_AUTH_TOKEN: 'tok',
      OUTPUT_STDOUT: 'true', SAMPLE_RATE: '0.5', MAX_BODY_SIZE: '1024', MAX_CONCURRENT_CONNECTIONS: '50',
      CONNECTION_IDLE_TIMEOUT_MS: '5000', REDACT_HEADERS: 'X-Key', LOG_LEVEL: 'debug', DRAIN_TIMEOUT_MS: '3000',
      MAX_BUFFERED_BYTES: '2097152', CAPTURE_BUFFER_BYTES: '8388608', POD_NAME: 'web-1', NAMESPACE: 'shop', NODE_NAME: 'n1', POD_IP: '10.0.0.7',
    });
    expect(config).toEqual({
      ports: [8080, 9090], interface: 'eth0', outputUrl: 'https://c.example/in', outputUrlAuthToken: 'tok',
      outputStdout: true, sampleRate: 0.5, maxBodySize: 1024, maxConcurrentConnections: 50,
      connectionIdleTimeoutMs: 5000, redactHeaders: ['x-key'], drainTimeoutMs: 3000, maxBufferedBytes: 2097152,
      captureBufferBytes: 8388608, placement: { pod: 'web-1', namespace: 'shop', node: 'n1', podIp: '10.0.0.7' },
    });
    expect(logLevel).toBe('debug');
    expect(() => validateConfig(config, {})).not.toThrow();
  });

  it('lets flags win over the environment, in both --flag value and --flag=value forms', () => {
    const { config, logLevel } = parseCommandLine(
      ['--ports', '81', '--max-body-size=7', '--interface=lo', '--log-level', 'warn', '--redact-headers', 'b', '--redact-default-headers', 'false'],
      { PORTS: '80', MAX_BODY_SIZE: '9', INTERFACE: 'eth0', LOG_LEVEL: 'debug', REDACT_HEADERS: 'a', REDACT_DEFAULT_HEADERS: 'true' },
    );
    expect(config).toMatchObject({ ports: [81], maxBodySize: 7, interface: 'lo', redactHeaders: ['b'], redactDefaultHeaders: false });
    expect(logLevel).toBe('warn');
  });

  it('names the variable or the flag the bad value came from, with the rule', () => {
    let e = error([], { PORTS: '80', MAX_BODY_SIZE: '-1' });
    expect([e.field, e.rule]).toEqual(['MAX_BODY_SIZE', 'integer from 0 to 134217728']);
    expect(e.message).toContain('MAX_BODY_SIZE');
    e = error(['--max-body-size', '1e3'], { PORTS: '80' });
    expect([e.field, e.rule]).toEqual(['--max-body-size', 'integer from 0 to 134217728']);
    e = error([], { PORTS: '80,80' });
    expect([e.field, e.rule]).toEqual(['PORTS', 'no duplicates']);
    e = error(['--ports', '70000']);
    expect([e.field, e.rule]).toEqual(['--ports', 'integers 1-65535']);
    e = error([], { PORTS: '80', OUTPUT_URL: 'http://c.example/', TCP_SNIFFER_PRODUCTION: '1' });
    expect([e.field, e.rule]).toEqual(['OUTPUT_URL', 'https: in production']);
    e = error([], { PORTS: '80', OUTPUT_STDOUT: 'yes' });
    expect([e.field, e.rule]).toEqual(['OUTPUT_STDOUT', 'true or false']);
    e = error([], { PORTS: '80', LOG_LEVEL: 'trace' });
    expect([e.field, e.rule]).toEqual(['LOG_LEVEL', 'debug, info, warn or error']);
    e = error([], {});
    expect(e.field).toContain('PORTS');
    expect(e.rule).toBe('required unless --read is given');
  });

  it('reads the metrics options; --route-template repeats, ROUTE_TEMPLATES is comma or space separated', () => {
    expect(parseCommandLine([], { PORTS: '80', METRICS_PORT: '9464', ROUTE_TEMPLATES: '/a/{x}, /b/{y} /c', METRICS_MAX_ROUTES: '50' }).config)
      .toMatchObject({ metricsPort: 9464, routeTemplates: ['/a/{x}', '/b/{y}', '/c'], metricsMaxRoutes: 50 });
    const { config } = parseCommandLine(
      ['--ports', '80', '--metrics-port', '9000', '--route-template', '/users/{id}', '--route-template=/users/{id}/orders'],
      { ROUTE_TEMPLATES: '/ignored' },
    );
    expect(config).toMatchObject({ metricsPort: 9000, routeTemplates: ['/users/{id}', '/users/{id}/orders'] });
    expect(config.metricsMaxRoutes).toBeUndefined();
    expect(validateConfig(config, {})).toMatchObject({ metricsMaxRoutes: 200 });
    expect(validateConfig({ ports: [80] }, {}).metricsPort).toBeUndefined();
    let e = error([], { PORTS: '80', METRICS_PORT: '0' });
    expect([e.field, e.rule]).toEqual(['METRICS_PORT', 'integer 1-65535']);
    e = error(['--ports', '80', '--metrics-max-routes', '10001']);
    expect([e.field, e.rule]).toEqual(['--metrics-max-routes', 'integer from 1 to 10000']);
    e = error(['--ports', '80', '--route-template', 'users/{id}']);
    expect([e.field, e.detail]).toEqual(['--route-template', 'routeTemplates[0] must start with /']);
    e = error([], { PORTS: '80', ROUTE_TEMPLATES: '/ok /x/{a}b' });
    expect([e.field, e.rule]).toEqual(['ROUTE_TEMPLATES', 'paths starting with /, each segment literal or a whole {name}']);
  });

  it('rejects unknown, repeated, value-less and positional arguments', () => {
    expect(error(['--port', '80']).rule).toBe('unknown option');
    expect(error(['--ports', '80', '--ports', '81']).rule).toBe('given more than once');
    expect(error(['--ports']).rule).toBe('requires a value');
    expect(error(['--ports', '--stdout']).rule).toBe('requires a value');
    expect(error(['80']).rule).toBe('options only, no positional arguments');
  });

  it('never puts the token in an error', () => {
    const e = error([], { PORTS: '80', OUTPUT_URL_AUTH_TOKEN: 'sekret token' });
    expect(e.field).toBe('OUTPUT_URL_AUTH_TOKEN');
    expect(e.message).not.toContain('sekret');
  });

  it('treats empty variables as unset, REDACT_HEADERS too: an empty list never turns redaction off', () => {
    const { config } = parseCommandLine([], { PORTS: '80', MAX_BODY_SIZE: '', OUTPUT_URL: ' ', REDACT_HEADERS: '', REDACT_DEFAULT_HEADERS: '' });
    expect(config.maxBodySize).toBeUndefined();
    expect(config.outputUrl).toBeUndefined();
    expect(config.redactHeaders).toBeUndefined();
    expect(config.redactDefaultHeaders).toBeUndefined();
    expect(validateConfig(config, {}).redactHeaders).toEqual(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
  });

  it('adds REDACT_HEADERS to the defaults; REDACT_DEFAULT_HEADERS=false drops them, refused in production', () => {
    const added = parseCommandLine([], { PORTS: '80', REDACT_HEADERS: 'x-api-key' }).config;
    expect(validateConfig(added, {}).redactHeaders).toEqual(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
    const off = parseCommandLine([], { PORTS: '80', REDACT_HEADERS: 'x-api-key', REDACT_DEFAULT_HEADERS: 'false' }).config;
    expect(validateConfig(off, {}).redactHeaders).toEqual(['x-api-key']);
    let e = error([], { PORTS: '80', REDACT_DEFAULT_HEADERS: 'off' });
    expect([e.field, e.rule]).toEqual(['REDACT_DEFAULT_HEADERS', 'true or false']);
    e = error([], { PORTS: '80', REDACT_DEFAULT_HEADERS: 'false', TCP_SNIFFER_PRODUCTION: '1' });
    expect([e.field, e.rule]).toEqual(['REDACT_DEFAULT_HEADERS', 'true in production']);
    e = error(['--redact-default-headers', 'false'], { PORTS: '80', NODE_ENV: 'production' });
    expect([e.field, e.rule]).toEqual(['--redact-default-headers', 'true in production']);
  });

  it('writes to stdout by default only when no other output is chosen', () => {
    expect(parseCommandLine(['--ports', '80'], {}).config.outputStdout).toBe(true);
    expect(parseCommandLine(['--ports', '80', '--output-url', 'https://c.example/'], {}).config.outputStdout).toBe(false);
    expect(parseCommandLine(['--ports', '80', '--output-url', 'https://c.example/', '--stdout'], {}).config.outputStdout).toBe(true);
    expect(parseCommandLine(['--ports', '80'], { OUTPUT_URL: 'https://c.example/', OUTPUT_STDOUT: 'true' }).config.outputStdout).toBe(true);
    expect(parseCommandLine(['--ports', '80'], { OUTPUT_STDOUT: 'false' }).config.outputStdout).toBe(false);
    expect(parseCommandLine(['--ports', '80', '--output-har', 'a.har'], {}).config.outputStdout).toBe(false);
    expect(parseCommandLine(['--ports', '80'], { OUTPUT_HAR: 'a.har', OUTPUT_STDOUT: 'true' }).config).toMatchObject({ outputStdout: true, outputHar: 'a.har' });
  });

  it('reads --decode-bodies as a switch or a value, and DECODE_BODIES', () => {
    expect(parseCommandLine(['--ports', '80', '--decode-bodies'], {}).config.decodeBodies).toBe(true);
    expect(parseCommandLine(['--ports', '80', '--decode-bodies=false'], {}).config.decodeBodies).toBe(false);
    expect(parseCommandLine(['--ports', '80'], { DECODE_BODIES: 'TRUE' }).config.decodeBodies).toBe(true);
    expect(parseCommandLine(['--ports', '80'], {}).config.decodeBodies).toBeUndefined();
    expect(() => parseCommandLine(['--ports', '80'], { DECODE_BODIES: 'yes' })).toThrow('invalid DECODE_BODIES: true or false (got "yes")');
    expect(() => parseCommandLine(['--ports', '80', '--output-har='], {})).toThrow('invalid --output-har: non-empty path');
  });

  it('makes ports optional with --read and --read-tcpflow', () => {
    expect(parseCommandLine(['--read', 'a.pcap'], {}).config).toMatchObject({ captureFile: 'a.pcap' });
    const t = parseCommandLine(['--read-tcpflow', 'flows'], {});
    expect(t.readTcpflow).toBe('flows');
    expect(t.config.captureFile).toBeUndefined();
  });

  it('answers --help and --version before anything else', () => {
    expect(parseCommandLine(['--bogus', '--help'], {}).help).toBe(true);
    expect(parseCommandLine(['--version'], {}).version).toBe(true);
  });
});

describe('helpText', () => {
  it('takes every integer option up to its maximum, and refuses one more naming the flag or the variable', () => {
    const integerOptions = OPTIONS.filter((o) => o.key in INTEGER_LIMITS);
    expect(integerOptions.map((o) => o.key).sort()).toEqual(Object.keys(INTEGER_LIMITS).sort());
    for (const o of integerOptions) {
      const { max } = INTEGER_LIMITS[o.key as keyof typeof INTEGER_LIMITS];
      const rule = RULES[o.key as keyof typeof INTEGER_LIMITS];
      const { config } = parseCommandLine([o.flag, String(max)], { PORTS: '80' });
      expect((config as Record<string, unknown>)[o.key]).toBe(max);
      expect(parseCommandLine([], { PORTS: '80', [o.env!]: String(max) }).config).toMatchObject({ [o.key]: max });
      let e = error([`${o.flag}=${max + 1}`], { PORTS: '80' });
      expect([e.field, e.rule]).toEqual([o.flag, rule]);
      expect(e.message).toBe(`invalid ${o.flag}: ${rule} (got ${max + 1})`);
      e = error([], { PORTS: '80', [o.env!]: String(max + 1) });
      expect([e.field, e.rule]).toEqual([o.env, rule]);
    }
    // The wrap of issue 9: 2^32 is not 0.
    expect(error(['--max-body-size', '4294967296'], { PORTS: '80' }).rule).toBe('integer from 0 to 134217728');
  });

  it('states the range of every integer option in --help', () => {
    for (const o of OPTIONS.filter((x) => x.key in INTEGER_LIMITS)) {
      expect(o.help).toContain(RULES[o.key as keyof typeof INTEGER_LIMITS]);
    }
  });

  it('lists every flag and variable', () => {
    for (const o of OPTIONS) {
      if (o.flag) expect(helpText()).toContain(o.flag);
      if (o.env) expect(helpText()).toContain(`[${o.env}]`);
    }
    for (const v of ['POD_NAME', 'NAMESPACE', 'NODE_NAME', 'POD_IP', 'TCP_SNIFFER_PRODUCTION', '--help', '--version']) {
      expect(helpText()).toContain(v);
    }
  });
});
