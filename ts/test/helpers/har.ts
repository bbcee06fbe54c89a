// HAR files checked against the HAR 1.2 JSON schema of the `har-schema` package (the schema set the HAR
// tooling on npm validates with), by ajv 8 in strict mode. har-schema spells two keywords its own way:
// `optional` and `unique` (on a page id; we write no pages), taken as documentation, and `min`, which is
// given its meaning here (a lower bound) so that a negative time fails instead of being ignored.
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createRequire } from 'node:module';

const require = createRequire(__filename);
let validate: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (validate !== undefined) return validate;
  // strictTypes off: har-schema puts object keywords (required, properties) on postData's params array.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json') as object);
  ajv.addKeyword({ keyword: 'optional', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'unique', schemaType: 'boolean' });
  ajv.addKeyword({
    keyword: 'min', type: 'number', schemaType: 'number',
    validate: (min: number, data: number) => data >= min,
  });
  const schemas = require('har-schema') as Record<string, object>;
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  validate = ajv.getSchema('har.json#')!;
  return validate;
}

/** The schema's complaints about `har` (empty when it is a valid HAR 1.2 document). */
export function harErrors(har: unknown): string[] {
  const v = validator();
  if (v(har)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
