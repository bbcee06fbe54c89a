// The configuration's static tables: defaults, internal limits and the rule texts. They depend on
// nothing, so any module can read them without pulling in the validator.

export const DEFAULT_REDACT_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

export const DEFAULTS = {
  interface: 'any',
  outputStdout: false,
  sampleRate: 1,
  maxBodySize: 65_536,
  maxConcurrentConnections: 10_000,
  connectionIdleTimeoutMs: 60_000,
  drainTimeoutMs: 25_000,
  maxBufferedBytes: 134_217_728,
  // The kernel's ring for live capture. It is mapped into the process, so all of it counts in RSS:
  // 16 MiB kept both loopback loads of docs/performance.md ("Live capture") free of drops, where
  // 32 MiB would take a third of the 96 MiB memory target alone.
  captureBufferBytes: 16_777_216,
  // Distinct route label values before the rest fold into __other__ (docs/metrics.md, "Cardinality").
  metricsMaxRoutes: 200,
} as const;

/**
 * The values the TS layer passes to the capture addon, the pipeline and the outputs that are not user
 * options. The addon and the core take every value explicitly; none of them keeps a default of its own.
 * Why each value is what it is: docs/internals.md §3 (capture), docs/outputs.md (outputs).
 */
export const LIMITS = {
  capture: {
    /** The largest snapshot libpcap takes: whole segments, even offloaded ones. */
    snaplen: 262_144,
    batchBytes: 256 * 1024,
    maxQueuedBatches: 64,
  },
  /** Batches the pipeline holds (copied) while an output is backpressured. */
  pipelineMaxQueuedBytes: 32 * 1024 * 1024,
  /** Stream-event payloads are at most this long where TS writes them (decoder, tcpflow reader). */
  maxDataEventBytes: 1024 * 1024,
  statsIntervalMs: 60_000,
  /** Decoded bytes per coded byte past which a body's decoding stops (docs/bodies-and-har.md). */
  bodyDecodeMaxRatio: 100,
  https: {
    maxSockets: 8, maxQueued: 10_000, maxQueuedBytes: 32 * 1024 * 1024, retryDelaysMs: [1000, 2000, 4000], requestTimeoutMs: 10_000,
    maxRetryAfterMs: 30_000, breaker: { failureThreshold: 5, coolDownMs: 10_000 },
  },
  stdout: { maxBufferedBytes: 16 * 1024 * 1024, pauseAtBytes: 1024 * 1024 },
  callback: { maxInFlight: 1000 },
  metrics: {
    /** Requests remembered until their response arrives (pairing for the RED metrics). */
    maxAwaitingResponses: 10_000,
    /** Seconds: 1 ms to 30 s, the range of an HTTP service's answers. */
    durationBucketsSeconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    maxConnections: 16, requestTimeoutMs: 10_000,
  },
} as const;

/** The rule texts, exactly as in fixtures/validation/cases.json. */
export const RULES = {
  portsRequired: 'required unless captureFile is set',
  portsNonEmpty: 'non-empty list',
  portsRange: 'integers 1-65535',
  portsUnique: 'no duplicates',
  url: 'absolute http(s) URL',
  urlCredentials: 'no credentials in URL',
  urlProduction: 'https: in production',
  interface: '1-15 characters, no whitespace or /',
  sampleRate: 'decimal number in [0, 1]',
  maxBodySize: 'integer >= 0',
  maxConcurrentConnections: 'integer >= 1',
  connectionIdleTimeoutMs: 'integer >= 1000',
  drainTimeoutMs: 'integer >= 0',
  maxBufferedBytes: 'integer >= 1048576',
  captureBufferBytes: 'integer from 1048576 to 1073741824',
  metricsPort: 'integer 1-65535',
  metricsMaxRoutes: 'integer from 1 to 10000',
  routeTemplates: 'paths starting with /, each segment literal or a whole {name}',
  boolean: 'true or false',
  redactHeaders: 'comma-separated header names',
  redactDefaultHeadersProduction: 'true in production',
  tokenOverHttp: 'requires an https: collector URL',
  token: 'visible ASCII characters only',
  captureFile: 'non-empty path',
  outputHar: 'non-empty path',
  logLevel: 'debug, info, warn or error',
  function: 'a function',
  placement: 'object of strings pod, namespace, node, podIp',
  object: 'an object',
  unknown: 'unknown option',
} as const;
