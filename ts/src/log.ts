// The one logger: one JSON object per line on stderr (docs/configuration.md, "Logs"). Secrets given at creation (the
// collector token) are scrubbed from every finished line as a last line of defence: code should never
// log them, and this makes sure a mistake does not leak them anyway.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  debug(message: string, fields?: object): void;
  info(message: string, fields?: object): void;
  warn(message: string, fields?: object): void;
  error(message: string, fields?: object): void;
  /** Records below this level are not written. May be changed at any time. */
  level: LogLevel;
}

export interface LoggerOptions {
  /** Default `"info"`. */
  level?: LogLevel;
  /** Values that must never appear in a log line; each occurrence becomes `[REDACTED]`. */
  secrets?: string[];
  /** Receives each line without its newline. Default: write it to stderr. */
  write?: (line: string) => void;
}

const RESERVED = new Set(['timestamp', 'level', 'message']);
const REDACTED = '[REDACTED]';

export function createLogger(opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  // A secret may appear raw or JSON-escaped (quotes, backslashes, control characters) in the line.
  const patterns = (opts.secrets ?? [])
    .filter((s) => typeof s === 'string' && s.length > 0)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const scrub = (line: string): string => {
    for (const p of patterns) line = line.split(p).join(REDACTED);
    return line;
  };

  const logger: Logger = {
    level: opts.level ?? 'info',
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };

  function emit(level: LogLevel, message: string, fields?: object): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(logger.level)) return;
    const record: Record<string, unknown> = { timestamp: new Date().toISOString(), level, message };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) record[RESERVED.has(k) ? `field.${k}` : k] = v;
    }
    let line: string;
    try {
      line = JSON.stringify(record, replacer);
    } catch (err) {
      // Circular fields: keep the message, say why the fields are missing.
      line = JSON.stringify({ timestamp: record.timestamp, level, message, logError: String(err) });
    }
    try {
      write(scrub(line));
    } catch {
      // stderr gone (EPIPE): nothing sensible is left to do with a log line.
    }
  }
  return logger;
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return e.code === undefined ? { name: e.name, message: e.message } : { name: e.name, message: e.message, code: e.code };
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof URL) return value.origin + value.pathname;
  return value;
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}

/**
 * Lets one record per key through per interval and counts the rest, so a failure repeated for every
 * message (a collector down, a callback that always throws) costs one log line per interval, not one per
 * message. The next record that passes carries the count of those suppressed in between.
 */
export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  // REQUIRES: intervalMs >= 0.
  constructor(private readonly intervalMs = 10_000) {}

  /** Returns the number suppressed since the last record of `key`, or -1 when this one must be skipped. */
  admit(key: string, now = Date.now()): number {
    const s = this.last.get(key);
    if (s && now - s.at < this.intervalMs) {
      s.suppressed++;
      return -1;
    }
    const suppressed = s ? s.suppressed : 0;
    this.last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }

  /** Logs through `log` unless rate-limited; adds `suppressed` when earlier records were skipped. */
  log(log: Logger, level: LogLevel, key: string, message: string, fields: object = {}): void {
    const suppressed = this.admit(key);
    if (suppressed < 0) return;
    log[level](message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}
