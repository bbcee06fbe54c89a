// npm run build: bundles dist/ with esbuild and writes the declarations with tsc.
//   dist/index.js    the library (CJS, Node)      dist/cli.js      the bin (Node, shebang, executable)
//   dist/lazy/       what those two load only when configured (the metrics endpoint; the web platform's
//                    decompressors with brotli-dec-wasm, for a Node without process.getBuiltinModule)
//   dist/decoder.js  dist/decoder.mjs             the decoder: platform neutral, no Node built-ins
//   dist/types/      declarations (tsc --emitDeclarationOnly)
// The .wasm (../native/http_core.wasm, built by the top-level CMake) is embedded in the decoder's bundles; the
// Node bundles read it at run time from ../native/ relative to dist/, as they load the addon from there.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasm = join(root, 'native', 'http_core.wasm');
if (!existsSync(wasm)) {
  console.error(`build: ${wasm} is missing; build http-core first (scripts/build.sh, or cmake --build <dir>)`);
  process.exit(1);
}

// dist/ is overwritten in place, not deleted first: tests running from it meanwhile keep their files.
const dist = join(root, 'dist');

const common = {
  bundle: true,
  absWorkingDir: root,
  loader: { '.wasm': 'binary' },
  target: 'es2022',
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'none',
};
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', define: { __TCP_SNIFFER_VERSION__: JSON.stringify(version) } };
// Modules the Node bundles import dynamically and only when configured, built as files of their own: inlined,
// their 450 KB (prom-client; brotli-dec-wasm's base64) were read and parsed at every start, ~15 ms of CPU
// (docs/performance.md, "Offline: start-up"). Each is one module tree of its own (what it shares with the
// bundle is stateless: config tables, types, the zstd frame check).
const lazy = { './metrics/index.js': 'metrics', './web-codecs.js': 'web-codecs' };
const lazyFiles = {
  name: 'lazy-files',
  setup(b) {
    b.onResolve({ filter: /^\.\/(metrics\/index|web-codecs)\.js$/ }, (a) =>
      a.kind === 'dynamic-import' ? { path: `./lazy/${lazy[a.path]}.js`, external: true } : undefined);
  },
};
// The Node bundles read the .wasm where the package ships it, beside dist/ (package.json "files"), on first
// use, instead of embedding it: embedded, its 172 KB of base64 were read, parsed and decoded at every start,
// 6-10 ms of CPU (docs/performance.md, "Offline: start-up, again").
const wasmFile = {
  name: 'wasm-file',
  setup(b) {
    b.onResolve({ filter: /\/http_core\.wasm$/ }, () => ({ path: 'http_core.wasm', namespace: 'wasm-file' }));
    b.onLoad({ filter: /.*/, namespace: 'wasm-file' }, () => ({
      loader: 'js',
      contents: `let bytes;
Object.defineProperty(exports, '__esModule', { value: true });
Object.defineProperty(exports, 'default', {
  enumerable: true,
  get: () => (bytes ??= require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'native', 'http_core.wasm'))),
});`,
    }));
  },
};
// Neutral: esbuild then refuses any Node built-in, which is the portability check we want.
const neutral = { ...common, platform: 'neutral', mainFields: ['module', 'main'], define: node.define };

await Promise.all([
  build({ ...node, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', plugins: [lazyFiles, wasmFile] }),
  build({ ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [lazyFiles, wasmFile] }),
  build({ ...node, entryPoints: ['src/metrics/index.ts'], outfile: 'dist/lazy/metrics.js' }),
  build({ ...node, entryPoints: ['src/bodies/web-codecs.ts'], outfile: 'dist/lazy/web-codecs.js' }),
  build({ ...neutral, entryPoints: ['src/decoder.ts'], outfile: 'dist/decoder.js', format: 'cjs' }),
  build({ ...neutral, entryPoints: ['src/decoder.ts'], outfile: 'dist/decoder.mjs', format: 'esm' }),
]);
chmodSync(join(dist, 'cli.js'), 0o755);

execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--emitDeclarationOnly', '--outDir', 'dist/types'], {
  cwd: root,
  stdio: 'inherit',
});
console.error('build: dist/ written');
