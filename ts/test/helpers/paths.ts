// Where the built pipeline and the shared corpus live, seen from a test.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const TS_DIR = path.resolve(__dirname, '../..');
export const REPO_DIR = path.resolve(TS_DIR, '..');
/**
 * The built package under test: ts/ itself, or a copy of its dist/ and native/ named by
 * TCP_SNIFFER_PACKAGE_DIR (a stable snapshot while others rebuild ts/dist in a shared work tree).
 */
export const PACKAGE_DIR = process.env.TCP_SNIFFER_PACKAGE_DIR ? path.resolve(process.env.TCP_SNIFFER_PACKAGE_DIR) : TS_DIR;
export const CLI = path.join(PACKAGE_DIR, 'dist/cli.js');
export const INDEX_JS = path.join(PACKAGE_DIR, 'dist/index.js');
export const DECODER_MJS = path.join(PACKAGE_DIR, 'dist/decoder.mjs');
export const ADDON = path.join(PACKAGE_DIR, 'native/capture_shim.node');
export const WASM = path.join(PACKAGE_DIR, 'native/http_core.wasm');
export const HELPERS_DIR = __dirname;
export const TRAFFIC_SERVER = path.join(__dirname, 'traffic-server.mjs');
export const TRAFFIC_CLIENT = path.join(__dirname, 'traffic-client.mjs');
/** The shared conformance corpus: `<repo>/../shared/corpus`; absent on a bare clone. */
export const CORPUS_DIR = path.resolve(REPO_DIR, '../shared/corpus');

/**
 * REQUIRES: the pipeline was built (scripts/build.sh). Throws a plain error naming what is missing, so a
 * suite run before the build fails loudly instead of skipping.
 */
export function requireBuilt(...files: string[]): void {
  const wanted = files.length ? files : [CLI, ADDON, WASM];
  const missing = wanted.filter((f) => !existsSync(f));
  if (missing.length) {
    throw new Error(`not built: ${missing.map((m) => path.relative(REPO_DIR, m)).join(', ')} (run scripts/build.sh)`);
  }
}
