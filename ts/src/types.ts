// The public types of tcp-sniffer. Everything a user touches is declared here, once.

/** One side of a TCP connection. */
export interface Endpoint {
  ip: string;
  port: number;
}

/** Where the sidecar runs, from the downward API. */
export interface Placement {
  pod?: string;
  namespace?: string;
  node?: string;
  podIp?: string;
}

/** One HTTP request or response, as every output receives it. */
export interface HttpMessage {
  /** ISO 8601 UTC with microseconds: capture time of the message's first byte. Absent without input times. */
  timestamp?: string;
  direction: 'request' | 'response';
  /** The observed service endpoint (the server side). */
  receiver: Endpoint;
  destination: Endpoint;
  source: Endpoint;
  /** Stable id of the TCP connection within this process. */
  connectionId: string;
  /** 1-based ordinal of the request/response pair on the connection. */
  exchange: number;
  httpVersion: '1.0' | '1.1';
  method?: string;
  path?: string;
  statusCode?: number;
  statusMessage?: string;
  /** Lower-cased names; repeats joined with ", " except set-cookie (an array); redacted. */
  headers: Record<string, string | string[]>;
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
  /** Body bytes seen on the wire after de-chunking, before decompression. */
  bodySize: number;
  bodyTruncated: boolean;
  /** With decodeBodies: the Content-Encoding removed from `body`, which then holds decoded bytes. */
  contentEncodingRemoved?: string;
  /** With decodeBodies: why the body is not (wholly) decoded; without `contentEncodingRemoved` it is as it came. */
  bodyDecodeError?: string;
  /** Responses: from the first byte of the request to the last byte of this response. */
  elapsedMs?: number;
  /** On a 101 response or a successful CONNECT: the protocol the connection switched to. */
  upgrade?: string;
  /** The message was cut by a gap, an eviction, a close or shutdown. */
  incomplete?: true;
  /** Its request (or response) could not be matched with certainty: never paired with another. */
  unpaired?: true;
  /** Why parsing stopped on this connection. */
  error?: string;
  placement?: Placement;
}

export type MessageCallback = (message: HttpMessage) => void | Promise<void>;

/** Configuration of `createSniffer`. See docs/configuration.md for every rule. */
export interface SnifferConfig {
  /** Ports of the observed service; required unless `captureFile` is set. */
  ports?: number[];
  /** Interface to capture on. Default `"any"`. */
  interface?: string;
  /** HTTPS collector receiving one JSON POST per message. */
  outputUrl?: string;
  /** Sent as `Authorization: Bearer`; never logged. */
  outputUrlAuthToken?: string;
  /** Write messages to stdout as JSON lines. Default false. */
  outputStdout?: boolean;
  onHttpMessage?: MessageCallback;
  /** Fraction of connections kept, in [0, 1]. Default 1. */
  sampleRate?: number;
  /** Body bytes kept per message: an integer from 0 to 134217728. Default 65536. */
  maxBodySize?: number;
  /** An integer from 1 to 250000. Default 10000. */
  maxConcurrentConnections?: number;
  /** An integer from 1000 to 2147483647. Default 60000. */
  connectionIdleTimeoutMs?: number;
  /**
   * Header names whose values are replaced by "[REDACTED]", added to the default list (authorization,
   * proxy-authorization, cookie, set-cookie).
   */
  redactHeaders?: string[];
  /** `false` drops the default list (logged at warn; refused in production). Default true. */
  redactDefaultHeaders?: boolean;
  /**
   * Query parameters whose values become "[REDACTED]" in `path`, `referer`, `location` and `content-location`,
   * added to the default list (docs/configuration.md, "Redaction").
   */
  redactQueryParams?: string[];
  /** `false` drops the default query parameters (logged at warn; refused in production). Default true. */
  redactDefaultQueryParams?: boolean;
  /** JSON and form body fields whose values become "[REDACTED]", added to the default list. */
  redactBodyFields?: string[];
  /** `false` drops the default body fields (logged at warn; refused in production). Default true. */
  redactDefaultBodyFields?: boolean;
  /** Report only exchanges whose request-target matches this regular expression (docs/configuration.md, "Filters"). */
  httpAllowUrl?: string;
  /** Drop exchanges whose request-target matches this regular expression. */
  httpDisallowUrl?: string;
  /** Report only exchanges whose Host (lower-cased) matches this regular expression. */
  httpAllowHost?: string;
  /** Report only exchanges with one of these request methods. */
  httpAllowMethod?: string[];
  /** Read a pcap/pcapng file instead of an interface, then stop. */
  captureFile?: string;
  /** How long `stop()` waits for queued deliveries: an integer from 0 to 2147483647. Default 25000. */
  drainTimeoutMs?: number;
  /**
   * One budget for everything held per connection: the capture's reassembly and the HTTP core's partial
   * messages, lines and bodies together. An integer from 1048576 to 1073741824. Default 128 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Live capture: bytes of the kernel's packet ring, which absorbs bursts while the capture thread
   * catches up. Mapped into the process, so it counts in RSS. Default 12 MiB, 1 MiB to 1 GiB.
   */
  captureBufferBytes?: number;
  /** Attached to every message when set. */
  placement?: Placement;
  /** Deliver bodies with their Content-Encoding removed (docs/bodies-and-har.md). Default false; true with `outputHar`. */
  decodeBodies?: boolean;
  /** Write every exchange to this HAR 1.2 file, as a stream (docs/bodies-and-har.md). */
  outputHar?: string;
  /** Serve Prometheus metrics on `/metrics` and `/healthz` on this port (all addresses). Off by default. */
  metricsPort?: number;
  /** Route templates such as `/users/{id}`, tried in order before the automatic ones (docs/metrics.md). */
  routeTemplates?: string[];
  /** Distinct automatic routes kept as labels; the rest count as `__other__`. Default 200. */
  metricsMaxRoutes?: number;
}

/** Counters of a running sniffer. */
export interface SnifferStats {
  capture: Record<string, number>;
  decoder: Record<string, unknown>;
  outputs: Record<string, Record<string, number>>;
  messages: number;
}

export interface Sniffer {
  start(): Promise<void>;
  /** Idempotent: stops capture, flushes the engine, drains outputs within `drainTimeoutMs`. */
  stop(): Promise<void>;
  isRunning(): boolean;
  stats(): SnifferStats;
  /** Resolves when an offline `captureFile` has been read to its end and drained (or on stop). */
  done(): Promise<void>;
}

/** Options of the WebAssembly decoder (`tcp-sniffer/decoder`). */
export interface DecoderOptions {
  maxBodySize?: number;
  /** Added to the default list (authorization, proxy-authorization, cookie, set-cookie). */
  redactHeaders?: string[];
  /** `false` drops the default list. Default true. */
  redactDefaultHeaders?: boolean;
  /** As SnifferConfig's: added to the default lists, which `false` drops. */
  redactQueryParams?: string[];
  redactDefaultQueryParams?: boolean;
  redactBodyFields?: string[];
  redactDefaultBodyFields?: boolean;
  maxBufferedBytes?: number;
  /** Deliver bodies with their Content-Encoding removed; onMessage may then be called after push() returns (see flush()). Default false. */
  decodeBodies?: boolean;
  /** The module's bytes or URL; the embedded module is used when absent. */
  wasm?: BufferSource | URL;
}
