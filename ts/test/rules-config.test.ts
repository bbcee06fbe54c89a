// The library form of the filter and redaction options: names add to the defaults, `redactDefault…: false`
// drops them outside production only, patterns are compiled (and refused) at validation.
import { describe, expect, it } from 'vitest';
import { validateConfig, validateDecoderOptions, ValidationError } from '../src/config.js';
import { describeConfig } from '../src/config-summary.js';
import { DEFAULT_REDACT_BODY_FIELDS, DEFAULT_REDACT_QUERY_PARAMS } from '../src/rules-config.js';

const base = { ports: [8080] };
const error = (f: () => unknown): ValidationError => {
  try { f(); } catch (e) { return e as ValidationError; }
  throw new Error('did not throw');
};

describe('filter and redaction options', () => {
  it('defaults: both lists on, no filter', () => {
    const cfg = validateConfig(base, {});
    expect(cfg.redactQueryParams).toEqual([...DEFAULT_REDACT_QUERY_PARAMS]);
    expect(cfg.redactBodyFields).toEqual([...DEFAULT_REDACT_BODY_FIELDS]);
    expect(cfg.filters).toEqual({});
  });

  it('names given are added to the defaults, lower-cased, without duplicates', () => {
    const cfg = validateConfig({ ...base, redactQueryParams: ['State', 'token'], redactBodyFields: ['PIN'] }, {});
    expect(cfg.redactQueryParams).toEqual([...DEFAULT_REDACT_QUERY_PARAMS, 'state']);
    expect(cfg.redactBodyFields).toEqual([...DEFAULT_REDACT_BODY_FIELDS, 'pin']);
  });

  it('redactDefault…: false drops a default list, and is refused in production', () => {
    const cfg = validateConfig({ ...base, redactDefaultQueryParams: false, redactBodyFields: ['pin'], redactDefaultBodyFields: false }, {});
    expect(cfg.redactQueryParams).toEqual([]);
    expect(cfg.redactBodyFields).toEqual(['pin']);
    expect(describeConfig(cfg)).toMatchObject({ redactDefaultQueryParams: false, redactBodyFields: ['pin'] });
    const e = error(() => validateConfig({ ...base, redactDefaultBodyFields: false }, { TCP_SNIFFER_PRODUCTION: '1' }));
    expect(e.message).toBe('invalid redactDefaultBodyFields: true in production');
    expect(error(() => validateConfig({ ...base, redactQueryParams: ['a,b'] }, {})).field).toBe('redactQueryParams');
    expect(error(() => validateConfig({ ...base, redactQueryParams: 'all' as never }, {})).detail).toBe('not an array');
  });

  it('patterns are compiled at validation; a bad one names the option', () => {
    const cfg = validateConfig({ ...base, httpAllowUrl: '^/api/', httpAllowHost: 'API', httpAllowMethod: ['get', 'POST'] }, {});
    expect(cfg.filters.allowUrl?.source).toBe('^/api/');
    expect(cfg.filters.allowUrl?.program.length).toBeGreaterThan(4);
    expect(cfg.filters.allowMethods).toEqual(['GET', 'POST']);
    expect(describeConfig(cfg)).toMatchObject({ httpAllowUrl: '^/api/', httpAllowHost: 'API', httpAllowMethod: ['GET', 'POST'] });
    const e = error(() => validateConfig({ ...base, httpDisallowUrl: 'a(?=b)' }, {}));
    expect(e.message).toBe('invalid httpDisallowUrl: regular expression of the supported syntax (unsupported group (only ( ) and (?: )) at offset 1)');
    expect(error(() => validateConfig({ ...base, httpAllowMethod: [] }, {})).field).toBe('httpAllowMethod');
    expect(error(() => validateConfig({ ...base, httpAllowMethod: ['GE T'] }, {})).rule).toBe('comma-separated method names');
  });

  it('the decoder takes the same lists and defaults', () => {
    expect(validateDecoderOptions({}).redactQueryParams).toEqual([...DEFAULT_REDACT_QUERY_PARAMS]);
    expect(validateDecoderOptions({ redactDefaultBodyFields: false }).redactBodyFields).toEqual([]);
  });
});
