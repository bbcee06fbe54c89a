// Writes to stdout's file descriptor that block until the bytes are taken; and whether stdout is a
// regular file.
//
// Reading a file, the capture thread outruns any reader of stdout. Holding batches in JS (the pipeline's
// bounded queue) only delays the moment messages must be dropped. Blocking the JS thread instead stops
// it from taking batches from the addon, whose bounded queue then makes the file reader wait: a slow
// `--read FILE | consumer` loses nothing and memory stays bounded. Live captures to a pipe or socket
// keep the asynchronous stdout, where the shim sheds load as counted gaps instead; live to a regular
// file, a write never waits on a reader, so it is written directly too.
import { fstatSync, writeSync } from 'node:fs';

export const STDOUT_FD = 1;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes` to `fd`, waiting (1 ms at a time) while a non-blocking pipe is full. Throws EPIPE and the like. */
export function writeAll(fd: number, bytes: Uint8Array): void {
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
 * True when stdout is a regular file: a write(2) to it completes at once, whoever reads it.
 */
export function stdoutIsFile(): boolean {
  try {
    return fstatSync(STDOUT_FD).isFile();
  } catch {
    return false;
  }
}
