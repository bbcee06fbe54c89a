// The library's entry point: `import { createSniffer } from 'tcp-sniffer'`.
export { createSniffer } from './sniffer.js';
export { ValidationError } from './config.js';
export type {
  DecoderOptions, Endpoint, HttpMessage, MessageCallback, Placement, Sniffer, SnifferConfig, SnifferStats,
} from './types.js';
