// The library's entry point: `import { createSniffer } from 'tcp-sniffer'`.
export { createSniffer } from './sniffer.js';
export { ValidationError } from './config.js';
export type {
  DecoderOptions, Endpoint, HttpMessage, MessageCallback, Placement, Sniffer, SnifferConfig, SnifferStats,
} from './types.js';
export { harEntry } from './har/entry.js';
export { HarPairer, toHar, type HarPairerLimits } from './har/pairing.js';
export type * from './har/types.js';
