// The .wasm built by the top-level CMake: embedded in the decoder's bundles by esbuild's binary loader, so
// that the decoder needs no file system; the Node bundles read it from native/ beside dist/ on first use
// instead (ts/scripts/build.mjs), which costs them 172 KB less to read and parse at every start.
import wasmBytes from '../../native/http_core.wasm';

let compiled: Promise<WebAssembly.Module> | undefined;

/** The embedded module, compiled once per process and instantiated as often as needed. */
export function embeddedModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(wasmBytes);
  return compiled;
}

/**
 * Compiles the embedded module now, synchronously, unless it already is: for a caller that has set how
 * V8 compiles WebAssembly and must have it compiled under those settings (the CLI, ts/src/cli.ts).
 */
export function compileEmbeddedModuleNow(): void {
  compiled ??= Promise.resolve(new WebAssembly.Module(wasmBytes));
}
