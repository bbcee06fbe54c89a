// An imported .wasm file is its bytes: esbuild's binary loader (the decoder's bundles), or the file read
// from native/ (the Node bundles, ts/scripts/build.mjs).
declare module '*.wasm' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
