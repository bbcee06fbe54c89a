// The options that decide what leaves the core besides the header redaction (docs/configuration.md,
// "Filters" and "Redaction"): the default lists, the rule texts, and the checks config.ts calls for every
// surface (library, environment, flags). Kept apart from config.ts, which holds every other option.
import { RULES, type ResolvedConfig } from './config.js';
import type { Logger } from './log.js';
import { compilePattern, PatternError } from './url-pattern.js';
import { quote, ValidationError } from './validation-error.js';

/**
 * Query parameter names redacted by default (matched case-insensitively after percent-decoding). Names given
 * are added to these; only `redactDefaultQueryParams: false` drops them (refused in production).
 */
export const DEFAULT_REDACT_QUERY_PARAMS: readonly string[] = [
  'token', 'access_token', 'refresh_token', 'id_token', 'api_key', 'apikey', 'api-key', 'key', 'password',
  'passwd', 'pwd', 'secret', 'client_secret', 'signature', 'sig', 'code', 'auth', 'session', 'sessionid',
  'jwt', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token',
];

/** JSON and form body fields redacted by default (any depth, case-insensitive); the same additive rules. */
export const DEFAULT_REDACT_BODY_FIELDS: readonly string[] = [
  'password', 'passwd', 'pwd', 'secret', 'token', 'access_token', 'refresh_token', 'id_token', 'client_secret',
  'api_key', 'apikey', 'private_key', 'credit_card', 'card_number', 'cardnumber', 'cvv', 'cvc', 'ssn',
];

/** The rule texts of these options, exactly as in fixtures/validation/cases.json. */
export const RULE_TEXTS = {
  redactNames: 'comma-separated names (visible ASCII, at most 128 characters each)',
  pattern: 'regular expression of the supported syntax',
  methods: 'comma-separated method names',
} as const;

/** The filter options that take a regular expression. */
export type PatternKey = 'httpAllowUrl' | 'httpDisallowUrl' | 'httpAllowHost';
type ListKey = 'redactQueryParams' | 'redactBodyFields';
type DefaultsKey = 'redactDefaultQueryParams' | 'redactDefaultBodyFields';
export type RuleKey = ListKey | DefaultsKey | PatternKey | 'httpAllowMethod';
export const RULE_KEYS: readonly RuleKey[] = [
  'redactQueryParams', 'redactDefaultQueryParams', 'redactBodyFields', 'redactDefaultBodyFields',
  'httpAllowUrl', 'httpDisallowUrl', 'httpAllowHost', 'httpAllowMethod',
];

export interface CompiledPattern {
  source: string;
  /** The program http-core runs (http-core/pattern_program.h). */
  program: Uint8Array;
}

/** Which exchanges are reported (docs/configuration.md, "Filters"); an absent rule lets everything through. */
export interface ExchangeFilters {
  allowUrl?: CompiledPattern;
  disallowUrl?: CompiledPattern;
  allowHost?: CompiledPattern;
  /** Upper-cased method names. */
  allowMethods?: string[];
}

/** What parseRaw returns for these keys. */
export interface RuleRawValue {
  redactQueryParams: string[]; redactBodyFields: string[]; redactDefaultQueryParams: boolean; redactDefaultBodyFields: boolean;
  httpAllowUrl: CompiledPattern; httpDisallowUrl: CompiledPattern; httpAllowHost: CompiledPattern; httpAllowMethod: string[];
}

/** The redaction lists as the core takes them (defaults included unless dropped). */
export interface RedactLists {
  redactQueryParams: string[];
  redactBodyFields: string[];
}

/** The part of ResolvedConfig that this file resolves. */
export interface MessageRules extends RedactLists {
  redactDefaultQueryParams: boolean;
  redactDefaultBodyFields: boolean;
  filters: ExchangeFilters;
}

/** RFC 9110 tchar: a header or method name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REDACT_NAME = /^[\x21-\x2b\x2d-\x7e]{1,128}$/; // visible ASCII without ','
const lower = (n: string): string => n.toLowerCase();

/**
 * A list of names (headers, query parameters, body fields, methods), each of `shape`; kept as `fold` gives
 * them (names match case-insensitively), each once. The error names the first bad item by its index.
 */
export function checkNameList(key: string, rule: string, shape: RegExp, fold: (n: string) => string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new ValidationError(key, rule, 'not an array');
  const out = new Set<string>();
  v.forEach((n: unknown, i) => {
    if (typeof n !== 'string' || !shape.test(n)) {
      throw new ValidationError(key, rule, `${key}[${i}] is ${typeof n === 'string' ? quote(n) : typeof n}`);
    }
    out.add(fold(n));
  });
  return [...out];
}

const checkNames = (key: ListKey, v: unknown): string[] => checkNameList(key, RULE_TEXTS.redactNames, REDACT_NAME, lower, v);

/**
 * A switch that keeps a default redaction list (headers, query parameters, body fields): a boolean, and never
 * false in production.
 */
export function checkKeepRedactDefaults(key: 'redactDefaultHeaders' | DefaultsKey, v: unknown, production: boolean): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(key, RULES.boolean, `got ${typeof v}`);
  // The defaults keep secrets out of every output; dropping them is for a test bench, not production.
  if (!v && production) throw new ValidationError(key, RULES.redactDefaultsProduction);
  return v;
}

function checkPattern(key: PatternKey, v: unknown): CompiledPattern {
  if (typeof v !== 'string') throw new ValidationError(key, RULE_TEXTS.pattern, `got ${typeof v}`);
  try {
    return { source: v, program: compilePattern(v, { lowerCase: key === 'httpAllowHost' }) };
  } catch (e) {
    if (e instanceof PatternError) throw new ValidationError(key, RULE_TEXTS.pattern, e.message);
    throw e;
  }
}

function checkMethods(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new ValidationError('httpAllowMethod', RULE_TEXTS.methods, 'empty');
  return checkNameList('httpAllowMethod', RULE_TEXTS.methods, TOKEN, (m) => m.toUpperCase(), v);
}

/** parseRaw for the keys of this file; `v` is already trimmed. */
export function parseRuleRaw(key: RuleKey, v: string, production: boolean): unknown {
  const items = (): string[] => v.split(',').map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''));
  switch (key) {
    case 'redactQueryParams': case 'redactBodyFields': return checkNames(key, items());
    case 'httpAllowMethod': return checkMethods(items());
    case 'redactDefaultQueryParams': case 'redactDefaultBodyFields': {
      const l = v.toLowerCase();
      if (l !== 'true' && l !== 'false') throw new ValidationError(key, RULES.boolean, `got ${quote(v)}`);
      return checkKeepRedactDefaults(key, l === 'true', production);
    }
    default: return checkPattern(key, v);
  }
}

/** The two redaction lists from a library config or decoder options: the given names added to the defaults. */
export function resolveRedactLists(c: Record<string, unknown>, production: boolean): RedactLists & Omit<MessageRules, 'filters' | keyof RedactLists> {
  const keep = (k: DefaultsKey): boolean => (c[k] === undefined ? true : checkKeepRedactDefaults(k, c[k], production));
  const list = (k: ListKey, defaults: readonly string[], withDefaults: boolean): string[] => {
    const given = c[k] === undefined ? [] : checkNames(k, c[k]);
    return withDefaults ? [...new Set([...defaults, ...given])] : given;
  };
  const redactDefaultQueryParams = keep('redactDefaultQueryParams');
  const redactDefaultBodyFields = keep('redactDefaultBodyFields');
  return {
    redactQueryParams: list('redactQueryParams', DEFAULT_REDACT_QUERY_PARAMS, redactDefaultQueryParams),
    redactBodyFields: list('redactBodyFields', DEFAULT_REDACT_BODY_FIELDS, redactDefaultBodyFields),
    redactDefaultQueryParams,
    redactDefaultBodyFields,
  };
}

/** The filter and redaction part of validateConfig's result. */
export function resolveMessageRules(c: Record<string, unknown>, production: boolean): MessageRules {
  const given = (k: string): boolean => c[k] !== undefined;
  return {
    ...resolveRedactLists(c, production),
    filters: {
      ...(given('httpAllowUrl') ? { allowUrl: checkPattern('httpAllowUrl', c.httpAllowUrl) } : {}),
      ...(given('httpDisallowUrl') ? { disallowUrl: checkPattern('httpDisallowUrl', c.httpDisallowUrl) } : {}),
      ...(given('httpAllowHost') ? { allowHost: checkPattern('httpAllowHost', c.httpAllowHost) } : {}),
      ...(given('httpAllowMethod') ? { allowMethods: checkMethods(c.httpAllowMethod) } : {}),
    },
  };
}

/** What the start log says of these options (patterns as given). */
export function describeMessageRules(cfg: ResolvedConfig): Record<string, unknown> {
  return {
    redactQueryParams: cfg.redactQueryParams,
    redactDefaultQueryParams: cfg.redactDefaultQueryParams,
    redactBodyFields: cfg.redactBodyFields,
    redactDefaultBodyFields: cfg.redactDefaultBodyFields,
    httpAllowUrl: cfg.filters.allowUrl?.source,
    httpDisallowUrl: cfg.filters.disallowUrl?.source,
    httpAllowHost: cfg.filters.allowHost?.source,
    httpAllowMethod: cfg.filters.allowMethods,
  };
}

/** Start warnings, beside warnAboutConfig's: a default list dropped. */
export function warnAboutMessageRules(cfg: ResolvedConfig, log: Logger): void {
  if (!cfg.redactDefaultQueryParams) {
    log.warn('default query parameter redaction is off: secrets in these parameters reach every output', {
      key: 'redactDefaultQueryParams', notRedacted: DEFAULT_REDACT_QUERY_PARAMS.filter((n) => !cfg.redactQueryParams.includes(n)),
    });
  }
  if (!cfg.redactDefaultBodyFields) {
    log.warn('default body field redaction is off: secrets in these fields reach every output', {
      key: 'redactDefaultBodyFields', notRedacted: DEFAULT_REDACT_BODY_FIELDS.filter((n) => !cfg.redactBodyFields.includes(n)),
    });
  }
}
