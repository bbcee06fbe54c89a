// What of the configuration may be logged (docs/configuration.md, "Logs"): never a secret.

import { DEFAULT_REDACT_HEADERS, type ResolvedConfig } from './config.js';
import type { Logger } from './log.js';
import { describeMessageRules, warnAboutMessageRules } from './rules-config.js';

/** Warnings about settings that are valid but weaken what the sniffer protects; logged at start. */
export function warnAboutConfig(cfg: ResolvedConfig, log: Logger): void {
  if (!cfg.redactDefaultHeaders) {
    log.warn('default header redaction is off: credentials in these headers reach every output', {
      notRedacted: DEFAULT_REDACT_HEADERS.filter((h) => !cfg.redactHeaders.includes(h)),
    });
  }
  warnAboutMessageRules(cfg, log);
}

/**
 * The configuration as it may be logged at start: the token only as "set", the collector URL without its
 * query (which could carry a key).
 */
export function describeConfig(cfg: ResolvedConfig): Record<string, unknown> {
  return {
    interface: cfg.captureFile === undefined ? cfg.interface : undefined,
    captureFile: cfg.captureFile,
    ports: cfg.ports,
    outputs: [
      ...(cfg.onHttpMessage ? ['callback'] : []),
      ...(cfg.outputUrl ? ['https'] : []),
      ...(cfg.outputStdout ? ['stdout'] : []),
    ],
    outputUrl: cfg.outputUrl ? cfg.outputUrl.origin + cfg.outputUrl.pathname : undefined,
    outputUrlAuthToken: cfg.outputUrlAuthToken ? 'set' : undefined,
    sampleRate: cfg.sampleRate,
    maxBodySize: cfg.maxBodySize,
    maxConcurrentConnections: cfg.maxConcurrentConnections,
    connectionIdleTimeoutMs: cfg.connectionIdleTimeoutMs,
    redactHeaders: cfg.redactHeaders,
    redactDefaultHeaders: cfg.redactDefaultHeaders,
    drainTimeoutMs: cfg.drainTimeoutMs,
    maxBufferedBytes: cfg.maxBufferedBytes,
    captureBufferBytes: cfg.captureFile === undefined ? cfg.captureBufferBytes : undefined,
    placement: cfg.placement,
    production: cfg.production,
    decodeBodies: cfg.decodeBodies,
    outputHar: cfg.outputHar,
    metricsPort: cfg.metricsPort,
    routeTemplates: cfg.metricsPort !== undefined && cfg.routeTemplates.length > 0 ? cfg.routeTemplates : undefined,
    metricsMaxRoutes: cfg.metricsPort !== undefined ? cfg.metricsMaxRoutes : undefined,
    ...describeMessageRules(cfg),
  };
}
