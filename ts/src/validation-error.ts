// The error every configuration surface throws (library, environment, CLI): it names the field as the
// user wrote it and the rule it broke (docs/configuration.md).

/** A configuration value broke a rule. `field` is named as the user wrote it (key, variable or flag). */
export class ValidationError extends Error {
  readonly field: string;
  readonly rule: string;
  /** What was wrong with the value, when saying so reveals no secret. */
  readonly detail?: string;

  constructor(field: string, rule: string, detail?: string) {
    super(`invalid ${field}: ${rule}${detail ? ` (${detail})` : ''}`);
    this.name = 'ValidationError';
    this.field = field;
    this.rule = rule;
    this.detail = detail;
  }

  /** The same error, naming the field as another surface calls it (`MAX_BODY_SIZE`, `--max-body-size`). */
  renamed(field: string): ValidationError {
    return new ValidationError(field, this.rule, this.detail);
  }
}

/** A value as an error's detail shows it: JSON-quoted, cut after 40 characters. */
export const quote = (s: string): string => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
