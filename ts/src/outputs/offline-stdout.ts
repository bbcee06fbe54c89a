// stdout for offline reads: a stream whose writes block until the reader has taken the bytes; and whether
// stdout is a regular file (written synchronously by Node, live too).
//
// Reading a file, the capture thread outruns any reader of stdout. Holding batches in JS (the pipeline's
// bounded queue) only delays the moment messages must be dropped. Blocking the JS thread instead stops
// it from taking batches from the addon, whose bounded queue then makes the file reader wait: a slow
// `--read FILE | consumer` loses nothing and memory stays bounded. Live captures keep the asynchronous
// stdout, where the shim sheds load as counted gaps instead.
import { fstatSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

const STDOUT_FD = 1;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes` to `fd`, waiting (1 ms at a time) while a non-blocking pipe is full. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(sleepCell, 0, 0, 1);
    }
  }
}

/**
 * A stream that is done with every chunk when write() returns: _write finishes synchronously, so the
 * Writable never holds a chunk (StdoutOutput's writesSynchronously relies on it; nothing here corks).
 */
export function blockingStdout(): Writable {
  return new Writable({
    decodeStrings: true,
    write(chunk: Buffer, _encoding, callback) {
      try {
        writeAll(STDOUT_FD, chunk);
        callback();
      } catch (e) {
        callback(e as Error); // EPIPE: the output logs it once and counts every later line as dropped
      }
    },
  });
}

/**
 * True when stdout is a regular file: Node then writes process.stdout synchronously (fs.writeSync in
 * its _write), so a caller may reuse a chunk as soon as write() returns.
 */
export function stdoutIsFile(): boolean {
  try {
    return fstatSync(STDOUT_FD).isFile();
  } catch {
    return false;
  }
}
