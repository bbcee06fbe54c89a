// The configuration's static tables: defaults, internal limits, integer ranges and the rule texts. They depend on
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
  // 12 MiB kept all three loads of bench/live.sh free of kernel drops, as 16 MiB did, for 4-5 MiB less
  // peak RSS at 10,000 connections (docs/performance.md, "Issue 8, session 9").
  captureBufferBytes: 12_582_912,
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
    /**
     * Live: the batches queued toward JS, in bytes, each counted with its whole buffer (batchBytes + 64 KiB):
     * 64 buffers, as many as the batch count it replaces (16 MiB shed more: docs/performance.md, "conns:
     * batch memory"). Beyond it the capture sheds payload as counted gaps (capture-shim/README.md).
     */
    maxQueuedBytes: 20 * 1024 * 1024,
    /**
     * Reading a file the reader waits instead of shedding, so a deep queue buys nothing: a few batches keep
     * both threads busy, and the batches stay warm in the cache (docs/performance.md, "Offline comparison").
     */
    offlineQueuedBytes: 5 * 256 * 1024,
  },
  /** Batches the pipeline holds (copied) while an output is backpressured. */
  pipelineMaxQueuedBytes: 32 * 1024 * 1024,
  /** Stream-event payloads are at most this long where TS writes them (decoder, tcpflow reader). */
  maxDataEventBytes: 1024 * 1024,
  statsIntervalMs: 60_000,
  /** Live, the capture's loss counters are read this often, and a loss is warned of at most this often (loss-watch.ts). */
  lossCheckMs: 1_000,
  lossWarnEveryMs: 10_000,
  /** Decoded bytes per coded byte past which a body's decoding stops (docs/bodies-and-har.md). */
  bodyDecodeMaxRatio: 100,
  https: {
    maxSockets: 8, maxQueued: 10_000, maxQueuedBytes: 32 * 1024 * 1024, retryDelaysMs: [1000, 2000, 4000], requestTimeoutMs: 10_000,
    maxRetryAfterMs: 30_000, breaker: { failureThreshold: 5, coolDownMs: 10_000 },
  },
  /**
   * Stdout pauses the pipeline at 1 MiB buffered and drops past 2 MiB what a caller ignoring the pause
   * delivers: 16 MiB of cap held more memory and reached a slow pipe reader less (docs/performance.md,
   * "Issue 8, session 10").
   */
  stdout: { maxBufferedBytes: 2 * 1024 * 1024, pauseAtBytes: 1024 * 1024 },
  callback: { maxInFlight: 1000 },
  metrics: {
    /** Requests remembered until their response arrives (pairing for the RED metrics). */
    maxAwaitingResponses: 10_000,
    /** Seconds: 1 ms to 30 s, the range of an HTTP service's answers. */
    durationBucketsSeconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    maxConnections: 16, requestTimeoutMs: 10_000,
  },
} as const;

/**
 * The range of every integer option: the one table that validation reads (the rule texts below are made from
 * it), and the bounds the capture addon checks again for the options it takes (capture-shim/addon.cc;
 * ts/test/limits.test.ts feeds every bound and its neighbour to both). Each maximum fits the type the
 * value is passed as and what the part that takes it can hold (docs/configuration.md, "Limits").
 */
export const INTEGER_LIMITS = {
  // A u32 into the WebAssembly core, whose memory is at most 2 GiB: a kept body is also written
  // escaped (up to 6 bytes per byte) into the core's output.
  maxBodySize: { min: 0, max: 134_217_728 },
  // The HTTP core tracks at most 250,000 connections (http-core/core_limits.h).
  maxConcurrentConnections: { min: 1, max: 250_000 },
  // Timeouts: 2^31 - 1 ms (about 24.8 days) is the longest delay a Node timer takes (the drain is one;
  // a longer one fires at once); the capture counts the idle timeout in µs in an int64.
  connectionIdleTimeoutMs: { min: 1000, max: 2_147_483_647 },
  drainTimeoutMs: { min: 0, max: 2_147_483_647 },
  // The core's share of it lives in WebAssembly memory (at most 2 GiB, beside the output).
  maxBufferedBytes: { min: 1_048_576, max: 1_073_741_824 },
  // libpcap takes an int; all of the ring is mapped into memory (it counts in RSS).
  captureBufferBytes: { min: 1_048_576, max: 1_073_741_824 },
  // A TCP port (its rule says so in a port's words).
  metricsPort: { min: 1, max: 65_535 },
  metricsMaxRoutes: { min: 1, max: 10_000 },
} as const;

const integerRule = (k: keyof typeof INTEGER_LIMITS): string =>
  `integer from ${INTEGER_LIMITS[k].min} to ${INTEGER_LIMITS[k].max}`;

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
  maxBodySize: integerRule('maxBodySize'),
  maxConcurrentConnections: integerRule('maxConcurrentConnections'),
  connectionIdleTimeoutMs: integerRule('connectionIdleTimeoutMs'),
  drainTimeoutMs: integerRule('drainTimeoutMs'),
  maxBufferedBytes: integerRule('maxBufferedBytes'),
  captureBufferBytes: integerRule('captureBufferBytes'),
  metricsPort: 'integer 1-65535',
  metricsMaxRoutes: integerRule('metricsMaxRoutes'),
  routeTemplates: 'paths starting with /, each segment literal or a whole {name}',
  boolean: 'true or false',
  redactHeaders: 'comma-separated header names',
  redactDefaultsProduction: 'true in production',
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
