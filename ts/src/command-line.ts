// The entrypoint's reading of its environment and flags (docs/configuration.md): one table of options, each
// with its flag, its variable and the config key it sets; flags win over the environment. Errors name the
// flag or the variable the value came from, so the user knows which line to fix.

import { DEFAULT_REDACT_HEADERS, DEFAULTS, isProduction, parseRaw, RULES, ValidationError, type RawKey } from './config.js';
import type { LogLevel } from './log.js';
import { DEFAULT_REDACT_BODY_FIELDS, DEFAULT_REDACT_QUERY_PARAMS, type CompiledPattern } from './rules-config.js';
import type { Placement, SnifferConfig } from './types.js';

interface OptionSpec {
  key: RawKey | 'readTcpflow';
  flag: string;
  env?: string;
  arg?: string;
  help: string;
}

/** Every option of the CLI and the container, in the order `--help` lists them. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'ports', flag: '--ports', env: 'PORTS', arg: 'P[,P...]', help: 'service ports to observe, 1-65535 (optional with --read)' },
  { key: 'interface', flag: '--interface', env: 'INTERFACE', arg: 'NAME', help: `interface to capture on, default ${DEFAULTS.interface}` },
  { key: 'captureFile', flag: '--read', arg: 'FILE', help: 'read a pcap/pcapng file instead of an interface, then exit' },
  { key: 'readTcpflow', flag: '--read-tcpflow', arg: 'DIR', help: "decode a directory of tcpflow's per-direction files, then exit" },
  { key: 'outputUrl', flag: '--output-url', env: 'OUTPUT_URL', arg: 'URL', help: 'POST each message to this collector (https: in production)' },
  { key: 'outputUrlAuthToken', flag: '', env: 'OUTPUT_URL_AUTH_TOKEN', help: 'token sent to the collector as "Authorization: Bearer", only to an https: collector; never logged (environment only: argv is visible to every user)' },
  { key: 'outputStdout', flag: '--stdout', env: 'OUTPUT_STDOUT', help: 'write messages to stdout as JSON lines (default when no other output is chosen)' },
  { key: 'outputHar', flag: '--output-har', env: 'OUTPUT_HAR', arg: 'FILE', help: 'also write every exchange to this HAR 1.2 file (turns --decode-bodies on unless it is set false)' },
  { key: 'decodeBodies', flag: '--decode-bodies', env: 'DECODE_BODIES', help: 'deliver gzip, deflate, br (and zstd where the runtime has it) bodies decoded, default false' },
  { key: 'maxBodySize', flag: '--max-body-size', env: 'MAX_BODY_SIZE', arg: 'N', help: `body bytes kept per message, ${RULES.maxBodySize}, default ${DEFAULTS.maxBodySize}` },
  { key: 'sampleRate', flag: '--sample-rate', env: 'SAMPLE_RATE', arg: 'R', help: `fraction of connections kept, 0-1, default ${DEFAULTS.sampleRate}` },
  { key: 'redactHeaders', flag: '--redact-headers', env: 'REDACT_HEADERS', arg: 'a,b', help: `headers replaced by [REDACTED], added to the defaults: ${DEFAULT_REDACT_HEADERS.join(',')}` },
  { key: 'redactDefaultHeaders', flag: '--redact-default-headers', env: 'REDACT_DEFAULT_HEADERS', arg: 'B', help: 'false drops the default redacted headers (logged at warn; refused in production), default true' },
  { key: 'redactQueryParams', flag: '--redact-query-params', env: 'REDACT_QUERY_PARAMS', arg: 'a,b', help: `query parameters whose values become [REDACTED], added to the defaults: ${DEFAULT_REDACT_QUERY_PARAMS.join(',')}` },
  { key: 'redactDefaultQueryParams', flag: '--redact-default-query-params', env: 'REDACT_DEFAULT_QUERY_PARAMS', arg: 'B', help: 'false drops the default query parameters (logged at warn; refused in production), default true' },
  { key: 'redactBodyFields', flag: '--redact-body-fields', env: 'REDACT_BODY_FIELDS', arg: 'a,b', help: `JSON and form body fields whose values become [REDACTED], added to the defaults: ${DEFAULT_REDACT_BODY_FIELDS.join(',')}` },
  { key: 'redactDefaultBodyFields', flag: '--redact-default-body-fields', env: 'REDACT_DEFAULT_BODY_FIELDS', arg: 'B', help: 'false drops the default body fields (logged at warn; refused in production), default true' },
  { key: 'httpAllowUrl', flag: '--http-allow-url', env: 'HTTP_ALLOW_URL', arg: 'RE', help: 'report only exchanges whose request-target matches this regular expression' },
  { key: 'httpDisallowUrl', flag: '--http-disallow-url', env: 'HTTP_DISALLOW_URL', arg: 'RE', help: 'drop exchanges whose request-target matches this regular expression' },
  { key: 'httpAllowMethod', flag: '--http-allow-method', env: 'HTTP_ALLOW_METHOD', arg: 'M[,M]', help: 'report only exchanges with one of these request methods' },
  { key: 'httpAllowHost', flag: '--http-allow-host', env: 'HTTP_ALLOW_HOST', arg: 'RE', help: 'report only exchanges whose Host (lower-cased) matches this regular expression' },
  { key: 'maxConcurrentConnections', flag: '--max-concurrent-connections', env: 'MAX_CONCURRENT_CONNECTIONS', arg: 'N', help: `${RULES.maxConcurrentConnections}, default ${DEFAULTS.maxConcurrentConnections}` },
  { key: 'connectionIdleTimeoutMs', flag: '--connection-idle-timeout-ms', env: 'CONNECTION_IDLE_TIMEOUT_MS', arg: 'N', help: `${RULES.connectionIdleTimeoutMs}, default ${DEFAULTS.connectionIdleTimeoutMs}` },
  { key: 'drainTimeoutMs', flag: '--drain-timeout-ms', env: 'DRAIN_TIMEOUT_MS', arg: 'N', help: `how long a stop waits for deliveries, ${RULES.drainTimeoutMs}, default ${DEFAULTS.drainTimeoutMs}` },
  { key: 'maxBufferedBytes', flag: '--max-buffered-bytes', env: 'MAX_BUFFERED_BYTES', arg: 'N', help: `one budget for everything held per connection (reassembly and HTTP core), ${RULES.maxBufferedBytes}, default ${DEFAULTS.maxBufferedBytes}` },
  { key: 'captureBufferBytes', flag: '--capture-buffer-bytes', env: 'CAPTURE_BUFFER_BYTES', arg: 'N', help: `kernel packet ring of a live capture (counts in memory), ${RULES.captureBufferBytes}, default ${DEFAULTS.captureBufferBytes}` },
  { key: 'metricsPort', flag: '--metrics-port', env: 'METRICS_PORT', arg: 'N', help: `serve Prometheus /metrics and /healthz on this port, all addresses, ${RULES.metricsPort} (off by default)` },
  { key: 'routeTemplates', flag: '--route-template', env: 'ROUTE_TEMPLATES', arg: 'T', help: 'route label for matching paths, e.g. /users/{id}; repeatable (variable: comma or space separated)' },
  { key: 'metricsMaxRoutes', flag: '--metrics-max-routes', env: 'METRICS_MAX_ROUTES', arg: 'N', help: `distinct routes in metrics before the rest count as __other__, ${RULES.metricsMaxRoutes}, default ${DEFAULTS.metricsMaxRoutes}` },
  { key: 'logLevel', flag: '--log-level', env: 'LOG_LEVEL', arg: 'L', help: 'debug, info, warn or error, default info' },
];

const PLACEMENT_ENV: ReadonlyArray<[keyof Placement, string]> = [
  ['pod', 'POD_NAME'], ['namespace', 'NAMESPACE'], ['node', 'NODE_NAME'], ['podIp', 'POD_IP'],
];

/** The --help text; built when asked, not at every start. */
export function helpText(): string {
  const rows: Array<[string, string]> = OPTIONS.map((o) => o.flag
    ? [`${o.flag}${o.arg ? ' ' + o.arg : ''}`, `${o.help}${o.env ? ` [${o.env}]` : ''}`]
    : [`[${o.env}]`, o.help]);
  rows.push(['--help', 'print this text'], ['--version', 'print the version']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  // Descriptions wrap at 100 columns, continuation lines indented under the description.
  const wrap = (text: string): string[] => {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(' ')) {
      if (line !== '' && 2 + width + line.length + 1 + word.length > 100) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    return [...lines, line];
  };
  const table = rows.flatMap(([l, r]) => wrap(r).map((part, i) => `  ${(i === 0 ? l : '').padEnd(width)}${part}`));
  return [
    'Usage: tcp-sniffer [options]',
    '',
    'Watches HTTP/1.x traffic passively (libpcap) and writes one JSON message per request and response.',
    'Every option can also come from the environment variable in brackets; flags win.',
    '',
    ...table,
    '',
    'Also read from the environment: TCP_SNIFFER_PRODUCTION=1 or NODE_ENV=production (collector must be',
    'https:), and placement attached to every message: POD_NAME, NAMESPACE, NODE_NAME, POD_IP.',
    '',
    'Exit status: 0 clean stop (end of --read, SIGTERM, SIGINT), 1 configuration error, 2 runtime error.',
    '',
  ].join('\n');
}

export interface CommandLine {
  config: SnifferConfig;
  logLevel: LogLevel;
  readTcpflow?: string;
  help: boolean;
  version: boolean;
}

const FLAG_RULES = { unknown: 'unknown option', value: 'requires a value', twice: 'given more than once', positional: 'options only, no positional arguments' };

/**
 * Reads flags (`--name value` or `--name=value`) and the environment into a config:
 * every value is parsed and checked here, errors name the flag or the variable. An empty variable counts
 * as unset (`REDACT_HEADERS` too: the default redaction then applies).
 */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined>): CommandLine {
  if (argv.includes('--help') || argv.includes('-h')) return { config: {}, logLevel: 'info', help: true, version: false };
  if (argv.includes('--version')) return { config: {}, logLevel: 'info', help: false, version: true };

  const byFlag = new Map(OPTIONS.filter((o) => o.flag).map((o) => [o.flag, o]));
  const flags = new Map<OptionSpec, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ValidationError(a, FLAG_RULES.positional);
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const spec = byFlag.get(name);
    if (!spec) throw new ValidationError(name, FLAG_RULES.unknown, 'see --help');
    const repeatable = spec.key === 'routeTemplates';
    if (flags.has(spec) && !repeatable) throw new ValidationError(name, FLAG_RULES.twice);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (spec.key === 'outputStdout' || spec.key === 'decodeBodies') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ValidationError(name, FLAG_RULES.value);
      value = next;
      i++;
    }
    // A repeated --route-template adds to the list; a template holds no comma (routeTemplateProblem).
    flags.set(spec, flags.has(spec) ? `${flags.get(spec)!},${value}` : value);
  }

  const production = isProduction(env);
  const values = new Map<string, unknown>();
  for (const spec of OPTIONS) {
    let raw = flags.get(spec);
    let source = spec.flag;
    if (raw === undefined && spec.env) {
      const e = env[spec.env];
      const set = e !== undefined && e.trim() !== '';
      if (set) {
        raw = e;
        source = spec.env;
      }
    }
    if (raw === undefined) continue;
    if (spec.key === 'readTcpflow') {
      if (raw.trim() === '') throw new ValidationError(source, 'non-empty path');
      values.set(spec.key, raw);
      continue;
    }
    try {
      values.set(spec.key, parseRaw(spec.key, raw, { production }));
    } catch (e) {
      throw e instanceof ValidationError ? e.renamed(source) : e;
    }
  }

  const readTcpflow = values.get('readTcpflow') as string | undefined;
  const captureFile = values.get('captureFile') as string | undefined;
  if (!values.has('ports') && captureFile === undefined && readTcpflow === undefined) {
    throw new ValidationError('--ports (or PORTS)', 'required unless --read is given');
  }
  const outputUrl = values.get('outputUrl') as URL | undefined;

  const config: SnifferConfig = {};
  const set = <K extends keyof SnifferConfig>(k: K, v: SnifferConfig[K] | undefined): void => {
    if (v !== undefined) config[k] = v;
  };
  set('ports', values.get('ports') as number[] | undefined);
  set('interface', values.get('interface') as string | undefined);
  set('captureFile', captureFile);
  set('outputUrl', outputUrl?.href);
  set('outputUrlAuthToken', values.get('outputUrlAuthToken') as string | undefined);
  set('outputStdout', (values.get('outputStdout') as boolean | undefined) ?? (outputUrl === undefined && !values.has('outputHar')));
  for (const k of ['sampleRate', 'maxBodySize', 'maxConcurrentConnections', 'connectionIdleTimeoutMs', 'drainTimeoutMs', 'maxBufferedBytes', 'captureBufferBytes', 'metricsPort', 'metricsMaxRoutes'] as const) {
    set(k, values.get(k) as number | undefined);
  }
  set('redactHeaders', values.get('redactHeaders') as string[] | undefined);
  set('redactDefaultHeaders', values.get('redactDefaultHeaders') as boolean | undefined);
  for (const k of ['redactQueryParams', 'redactBodyFields', 'httpAllowMethod'] as const) set(k, values.get(k) as string[] | undefined);
  for (const k of ['redactDefaultQueryParams', 'redactDefaultBodyFields'] as const) set(k, values.get(k) as boolean | undefined);
  for (const k of ['httpAllowUrl', 'httpDisallowUrl', 'httpAllowHost'] as const) set(k, (values.get(k) as CompiledPattern | undefined)?.source);
  set('routeTemplates', values.get('routeTemplates') as string[] | undefined);
  set('decodeBodies', values.get('decodeBodies') as boolean | undefined);
  set('outputHar', values.get('outputHar') as string | undefined);

  const placement: Placement = {};
  for (const [k, name] of PLACEMENT_ENV) {
    const v = env[name]?.trim();
    if (v) placement[k] = v;
  }
  if (Object.keys(placement).length > 0) config.placement = placement;

  return {
    config,
    logLevel: (values.get('logLevel') as LogLevel | undefined) ?? 'info',
    ...(readTcpflow !== undefined ? { readTcpflow } : {}),
    help: false,
    version: false,
  };
}
