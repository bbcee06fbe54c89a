#!/usr/bin/env node
// What touching fresh memory costs on this machine: CPU per 4 KiB page for the first write into a new
// WebAssembly.Memory and a new Buffer, then for a second write to the same pages. On a VM the first touch
// can cost far more than the work done on the page (docs/performance.md, "The JS thread at 10,000
// connections"). Usage: node bench/first-touch.mjs [MiB]
const bytes = Number(process.argv[2] ?? 64) << 20;
const pages = bytes / 4096;
function touch(label, u) {
  for (const pass of ['first', 'second']) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < bytes; i += 4096) u[i] = 1;
    const t = process.cpuUsage(t0);
    console.log(`${label}, ${pass} touch: ${((t.user + t.system) / pages).toFixed(2)} µs CPU per page ` +
      `(user ${(t.user / pages).toFixed(2)}, system ${(t.system / pages).toFixed(2)})`);
  }
}
const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
memory.grow(pages / 16);
touch('WebAssembly.Memory', new Uint8Array(memory.buffer));
touch('Buffer', Buffer.allocUnsafeSlow(bytes));
