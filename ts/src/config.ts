// Configuration: the one validator of the rules in docs/configuration.md. The library, the environment and the CLI all end here;
// the raw-string parsers are the ones the shared cases in fixtures/validation/cases.json exercise, and the
// injector implements the same rules in C++ against the same table.

import type { DecoderOptions, MessageCallback, Placement, SnifferConfig } from './types.js';
import { isLogLevel, type LogLevel } from './log.js';
import { quote, ValidationError } from './validation-error.js';
import { routeTemplateProblem } from './metrics/routes.js';
import { DEFAULT_REDACT_HEADERS, DEFAULTS, INTEGER_LIMITS, RULES } from './config-tables.js';
import { checkKeepRedactDefaults, checkNameList, parseRuleRaw, resolveMessageRules, resolveRedactLists, RULE_KEYS, TOKEN, type MessageRules, type RedactLists, type RuleKey, type RuleRawValue } from './rules-config.js';

export { ValidationError };
export { DEFAULT_REDACT_HEADERS, DEFAULTS, INTEGER_LIMITS, LIMITS, RULES } from './config-tables.js';

export interface ResolvedConfig extends MessageRules {
  ports: number[];
  interface: string;
  outputUrl?: URL;
  outputUrlAuthToken?: string;
  outputStdout: boolean;
  onHttpMessage?: MessageCallback;
  sampleRate: number;
  maxBodySize: number;
  maxConcurrentConnections: number;
  connectionIdleTimeoutMs: number;
  /** The effective list: the defaults (unless turned off) and the listed names; lower-cased, without duplicates. */
  redactHeaders: string[];
  /** False only when the user turned the default list off (docs/configuration.md, "Redaction"). */
  redactDefaultHeaders: boolean;
  captureFile?: string;
  drainTimeoutMs: number;
  maxBufferedBytes: number;
  captureBufferBytes: number;
  placement?: Placement;
  production: boolean;
  decodeBodies: boolean;
  outputHar?: string;
  /** Serve /metrics and /healthz on this port; absent = off. Route templates are tried in order. */
  metricsPort?: number;
  routeTemplates: string[];
  metricsMaxRoutes: number;
}

type IntegerKey = keyof typeof INTEGER_LIMITS;

/** The keys whose string form `parseRaw` reads (the keys of the shared cases). */
export type RawKey =
  | 'ports' | 'interface' | 'outputUrl' | 'outputUrlAuthToken' | 'outputStdout' | 'sampleRate'
  | 'redactHeaders' | 'redactDefaultHeaders' | 'captureFile' | 'logLevel' | 'routeTemplates' | 'decodeBodies'
  | 'outputHar' | IntegerKey | RuleKey;

export interface RawValue extends RuleRawValue {
  ports: number[];
  interface: string;
  outputUrl: URL;
  outputUrlAuthToken: string;
  outputStdout: boolean;
  sampleRate: number;
  redactHeaders: string[];
  redactDefaultHeaders: boolean;
  captureFile: string;
  logLevel: LogLevel;
  maxBodySize: number;
  maxConcurrentConnections: number;
  connectionIdleTimeoutMs: number;
  drainTimeoutMs: number;
  maxBufferedBytes: number;
  captureBufferBytes: number;
  metricsPort: number;
  metricsMaxRoutes: number;
  routeTemplates: string[];
  decodeBodies: boolean;
  outputHar: string;
}

// Only spaces and tabs around a value are forgiven (an env file's stray blank); nothing else is guessed.
const trim = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');
const DIGITS = /^[0-9]+$/;
const DECIMAL = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const IFACE_BAD = /[^\x21-\x7e]|\//; // ASCII without whitespace, controls or '/'

/**
 * Parses the string form of `key` (environment, CLI flag, injector annotation) and checks its rule.
 * Throws a `ValidationError` naming `key`; callers rename it for their surface.
 */
export function parseRaw<K extends RawKey>(key: K, raw: string, opts: { production?: boolean } = {}): RawValue[K] {
  const v = trim(raw);
  const out = ((): unknown => {
    switch (key) {
      case 'ports': {
        if (v === '') throw new ValidationError(key, RULES.portsNonEmpty);
        const ports = v.split(',').map((item) => {
          const t = trim(item);
          if (!DIGITS.test(t)) throw new ValidationError(key, RULES.portsRange, `got ${quote(t)}`);
          return Number(t);
        });
        return checkPorts(ports);
      }
      case 'interface':
        return checkInterface(v);
      case 'outputUrl':
        return checkUrl(v, opts.production ?? false);
      case 'outputUrlAuthToken': {
        // A Secret made from a file usually ends in a newline that is not part of the token.
        const t = v.replace(/(\r?\n)+$/, '');
        // Never echo a token, not even in part.
        if (!VISIBLE_ASCII.test(t)) throw new ValidationError(key, RULES.token);
        return t;
      }
      case 'outputStdout':
      case 'decodeBodies':
      case 'redactDefaultHeaders': {
        const l = v.toLowerCase();
        if (l !== 'true' && l !== 'false') throw new ValidationError(key, RULES.boolean, `got ${quote(v)}`);
        if (key === 'redactDefaultHeaders') checkKeepRedactDefaults(key, l === 'true', opts.production ?? false);
        return l === 'true';
      }
      case 'redactQueryParams': case 'redactBodyFields': case 'redactDefaultQueryParams': case 'redactDefaultBodyFields':
      case 'httpAllowUrl': case 'httpDisallowUrl': case 'httpAllowHost': case 'httpAllowMethod':
        return parseRuleRaw(key, v, opts.production ?? false);
      case 'sampleRate': {
        if (!DECIMAL.test(v)) throw new ValidationError(key, RULES.sampleRate, `got ${quote(v)}`);
        return checkSampleRate(Number(v));
      }
      case 'redactHeaders':
        return v === '' ? [] : checkRedactHeaders(v.split(',').map(trim));
      case 'routeTemplates':
        // Comma- or space-separated: a template has neither.
        return checkRouteTemplates(v.split(/[\s,]+/).filter((t) => t !== ''));
      case 'captureFile':
      case 'outputHar':
        if (v === '') throw new ValidationError(key, RULES[key as 'captureFile' | 'outputHar']);
        return v;
      case 'logLevel': {
        const l = v.toLowerCase();
        if (!isLogLevel(l)) throw new ValidationError(key, RULES.logLevel, `got ${quote(v)}`);
        return l;
      }
      default: {
        const k = key as IntegerKey;
        if (!(k in INTEGER_LIMITS)) throw new ValidationError(key, RULES.unknown);
        if (!DIGITS.test(v)) throw new ValidationError(key, RULES[k], `got ${quote(v)}`);
        return checkInteger(k, Number(v));
      }
    }
  })();
  return out as RawValue[K];
}

function checkPorts(ports: unknown): number[] {
  if (!Array.isArray(ports)) throw new ValidationError('ports', RULES.portsNonEmpty, 'not an array');
  if (ports.length === 0) throw new ValidationError('ports', RULES.portsNonEmpty);
  const seen = new Set<number>();
  for (const p of ports) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
      throw new ValidationError('ports', RULES.portsRange, `got ${typeof p === 'string' ? quote(p) : String(p)}`);
    }
  }
  for (const p of ports as number[]) {
    if (seen.has(p)) throw new ValidationError('ports', RULES.portsUnique, `${p} appears twice`);
    seen.add(p);
  }
  return [...ports];
}

function checkInterface(v: unknown): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > 15 || IFACE_BAD.test(v)) {
    throw new ValidationError('interface', RULES.interface, typeof v === 'string' ? `got ${quote(v)}` : `got ${typeof v}`);
  }
  return v;
}

function checkUrl(v: unknown, production: boolean): URL {
  // The literal scheme-and-slashes check keeps us in step with the injector: the WHATWG parser would
  // otherwise accept forms such as "https:host" that other parsers reject. The value is not echoed: a
  // URL can carry a secret in its query.
  if (typeof v !== 'string' || !/^https?:\/\/[^/?#]/i.test(v)) throw new ValidationError('outputUrl', RULES.url);
  // The WHATWG parser would silently drop a tab or line break inside the URL and percent-decode the
  // host; the injector, and any reader of the value, would not.
  if (/[\x00-\x1f\x7f]/.test(v)) throw new ValidationError('outputUrl', RULES.url);
  const authority = v.replace(/^https?:\/\//i, '').split(/[/?#\\]/)[0]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (!hostPort.startsWith('[') && /[ #%<>@[\\\]^|]/.test(hostPort.split(':')[0]!)) {
    throw new ValidationError('outputUrl', RULES.url);
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ValidationError('outputUrl', RULES.url);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ValidationError('outputUrl', RULES.url);
  }
  if (url.username !== '' || url.password !== '' || /^[^/?#]*@/.test(v.replace(/^https?:\/\//i, ''))) {
    throw new ValidationError('outputUrl', RULES.urlCredentials, 'use outputUrlAuthToken');
  }
  if (production && url.protocol !== 'https:') {
    throw new ValidationError('outputUrl', RULES.urlProduction, `got ${url.protocol}`);
  }
  return url;
}

function checkSampleRate(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new ValidationError('sampleRate', RULES.sampleRate, `got ${String(v)}`);
  }
  return v === 0 ? 0 : v; // -0 → 0
}

function checkInteger(key: IntegerKey, v: unknown): number {
  const { min, max } = INTEGER_LIMITS[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ValidationError(key, RULES[key], `got ${typeof v === 'number' ? String(v) : typeof v}`);
  }
  return v === 0 ? 0 : v;
}

function checkBoolean(key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(key, RULES.boolean, `got ${typeof v}`);
  return v;
}

function checkRedactHeaders(names: unknown): string[] {
  return checkNameList('redactHeaders', RULES.redactHeaders, TOKEN, (n) => n.toLowerCase(), names);
}

/**
 * The names redacted: the listed ones are added to the defaults, so adding a header never loses one; the
 * defaults go only on an explicit `redactDefaultHeaders: false`.
 */
function redactionList(listed: string[], withDefaults: boolean): string[] {
  return withDefaults ? [...new Set([...DEFAULT_REDACT_HEADERS, ...listed])] : listed;
}

function checkRouteTemplates(templates: unknown): string[] {
  if (!Array.isArray(templates)) throw new ValidationError('routeTemplates', RULES.routeTemplates, 'not an array');
  templates.forEach((t: unknown, i) => {
    const problem = typeof t === 'string' ? routeTemplateProblem(t) : `got ${typeof t}`;
    if (problem !== null) throw new ValidationError('routeTemplates', RULES.routeTemplates, `routeTemplates[${i}] ${problem}`);
  });
  return [...new Set(templates as string[])];
}

function checkPlacement(v: unknown): Placement | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError('placement', RULES.placement);
  const out: Placement = {};
  for (const [k, val] of Object.entries(v)) {
    if (!['pod', 'namespace', 'node', 'podIp'].includes(k)) throw new ValidationError(`placement.${k}`, RULES.unknown);
    if (val === undefined || val === '') continue;
    if (typeof val !== 'string') throw new ValidationError(`placement.${k}`, RULES.placement);
    out[k as keyof Placement] = val;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Production = `TCP_SNIFFER_PRODUCTION=1` (or `true`) or `NODE_ENV=production`. */
export function isProduction(env: Record<string, string | undefined>): boolean {
  const flag = (env.TCP_SNIFFER_PRODUCTION ?? '').trim().toLowerCase();
  return flag === '1' || flag === 'true' || (env.NODE_ENV ?? '').trim() === 'production';
}

const KNOWN_KEYS = new Set<string>([...RULE_KEYS,
  'ports', 'interface', 'outputUrl', 'outputUrlAuthToken', 'outputStdout', 'onHttpMessage', 'sampleRate',
  'maxBodySize', 'maxConcurrentConnections', 'connectionIdleTimeoutMs', 'redactHeaders', 'redactDefaultHeaders', 'captureFile',
  'drainTimeoutMs', 'maxBufferedBytes', 'captureBufferBytes', 'placement', 'metricsPort', 'routeTemplates',
  'metricsMaxRoutes', 'decodeBodies', 'outputHar',
]);

/**
 * Checks every rule of docs/configuration.md and fills in the defaults. Throws a `ValidationError` naming the
 * first key that breaks a rule. `env` decides production mode (default: `process.env`).
 */
export function validateConfig(config: SnifferConfig, env: Record<string, string | undefined> = process.env): ResolvedConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ValidationError('config', RULES.object);
  }
  for (const k of Object.keys(config)) {
    // A misspelt key would otherwise silently fall back to its default.
    if (!KNOWN_KEYS.has(k)) throw new ValidationError(k, RULES.unknown);
  }
  const c = config as Record<string, unknown>;
  const given = (k: string): boolean => c[k] !== undefined;
  const production = isProduction(env);

  let captureFile: string | undefined;
  if (given('captureFile')) {
    if (typeof c.captureFile !== 'string' || c.captureFile.trim() === '') throw new ValidationError('captureFile', RULES.captureFile);
    captureFile = c.captureFile;
  }
  let ports: number[] = [];
  if (given('ports')) ports = checkPorts(c.ports);
  else if (captureFile === undefined) throw new ValidationError('ports', RULES.portsRequired);

  let outputUrlAuthToken: string | undefined;
  if (given('outputUrlAuthToken') && c.outputUrlAuthToken !== '') {
    if (typeof c.outputUrlAuthToken !== 'string' || !VISIBLE_ASCII.test(c.outputUrlAuthToken)) {
      throw new ValidationError('outputUrlAuthToken', RULES.token);
    }
    outputUrlAuthToken = c.outputUrlAuthToken;
  }
  if (given('outputStdout') && typeof c.outputStdout !== 'boolean') {
    throw new ValidationError('outputStdout', RULES.boolean, `got ${typeof c.outputStdout}`);
  }
  if (given('onHttpMessage') && typeof c.onHttpMessage !== 'function') {
    throw new ValidationError('onHttpMessage', RULES.function, `got ${typeof c.onHttpMessage}`);
  }
  const integer = (k: Exclude<IntegerKey, 'metricsPort'>): number => (given(k) ? checkInteger(k, c[k]) : DEFAULTS[k]);
  const outputUrl = given('outputUrl') ? checkUrl(c.outputUrl, production) : undefined;
  if (outputUrlAuthToken !== undefined && outputUrl?.protocol === 'http:') {
    // Anyone on the path would read the token; in every mode, not only in production.
    throw new ValidationError('outputUrlAuthToken', RULES.tokenOverHttp, 'the collector URL is http:');
  }
  const redactDefaultHeaders = given('redactDefaultHeaders') ? checkKeepRedactDefaults('redactDefaultHeaders', c.redactDefaultHeaders, production) : true;
  const listed = given('redactHeaders') ? checkRedactHeaders(c.redactHeaders) : [];
  if (given('outputHar') && (typeof c.outputHar !== 'string' || c.outputHar.trim() === '')) throw new ValidationError('outputHar', RULES.outputHar);
  const outputHar = c.outputHar as string | undefined;

  return {
    ports,
    interface: given('interface') ? checkInterface(c.interface) : DEFAULTS.interface,
    outputUrl,
    outputUrlAuthToken,
    outputStdout: (c.outputStdout as boolean | undefined) ?? DEFAULTS.outputStdout,
    onHttpMessage: c.onHttpMessage as MessageCallback | undefined,
    sampleRate: given('sampleRate') ? checkSampleRate(c.sampleRate) : DEFAULTS.sampleRate,
    maxBodySize: integer('maxBodySize'),
    maxConcurrentConnections: integer('maxConcurrentConnections'),
    connectionIdleTimeoutMs: integer('connectionIdleTimeoutMs'),
    redactHeaders: redactionList(listed, redactDefaultHeaders),
    redactDefaultHeaders,
    captureFile,
    drainTimeoutMs: integer('drainTimeoutMs'),
    maxBufferedBytes: integer('maxBufferedBytes'),
    captureBufferBytes: integer('captureBufferBytes'),
    placement: given('placement') ? checkPlacement(c.placement) : undefined,
    production,
    metricsPort: given('metricsPort') ? checkInteger('metricsPort', c.metricsPort) : undefined,
    routeTemplates: given('routeTemplates') ? checkRouteTemplates(c.routeTemplates) : [],
    metricsMaxRoutes: integer('metricsMaxRoutes'),
    // A HAR's content is decoded by definition, so asking for one turns decoding on unless told otherwise.
    decodeBodies: given('decodeBodies') ? checkBoolean('decodeBodies', c.decodeBodies) : outputHar !== undefined,
    outputHar,
    ...resolveMessageRules(c, production),
  };
}

/**
 * The decoder's options (docs/decoder.md), checked by the same rules and defaulted from the same table.
 * The decoder has no production mode: the caller owns the bytes it decodes.
 */
export function validateDecoderOptions(options: DecoderOptions): {
  maxBodySize: number; maxBufferedBytes: number; redactHeaders: string[]; decodeBodies: boolean;
} & RedactLists {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', RULES.object);
  const integer = (k: 'maxBodySize' | 'maxBufferedBytes'): number => (options[k] === undefined ? DEFAULTS[k] : checkInteger(k, options[k]));
  const withDefaults = options.redactDefaultHeaders === undefined ? true : checkKeepRedactDefaults('redactDefaultHeaders', options.redactDefaultHeaders, false);
  return {
    maxBodySize: integer('maxBodySize'),
    maxBufferedBytes: integer('maxBufferedBytes'),
    redactHeaders: redactionList(options.redactHeaders === undefined ? [] : checkRedactHeaders(options.redactHeaders), withDefaults),
    decodeBodies: options.decodeBodies === undefined ? false : checkBoolean('decodeBodies', options.decodeBodies),
    ...resolveRedactLists(options as Record<string, unknown>, false),
  };
}
