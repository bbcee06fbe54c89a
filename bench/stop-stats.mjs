#!/usr/bin/env node
// Prints "KERNEL_RECEIVED KERNEL_DROPPED STDOUT_DROPPED BYTES_SHED" from the sniffer's stderr log: the counters of its
// last "stopped" line (the stats logged at stop), found wherever they sit in the record, "-" when absent.
// Given counter names after the log, prints those counters instead, in that order.
//
// Usage: node bench/stop-stats.mjs SNIFFER_STDERR_LOG [COUNTER...]
import { readFileSync } from 'node:fs';

let stopped = null;
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line.startsWith('{')) continue;
  try {
    const record = JSON.parse(line);
    if (record.message === 'stopped') stopped = record;
  } catch {
    // not a log record
  }
}

function find(obj, key) {
  if (obj === null || typeof obj !== 'object') return undefined;
  if (key in obj) return obj[key];
  for (const v of Object.values(obj)) {
    const found = find(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

if (stopped === null) process.stderr.write(`stop-stats: no "stopped" line in ${process.argv[2]}\n`);
const keys = process.argv.slice(3);
const stdout = find(stopped, 'stdout');
if (keys.length > 0) process.stdout.write(`${keys.map((k) => find(stopped, k) ?? '-').join(' ')}\n`);
else process.stdout.write(`${find(stopped, 'kernelReceived') ?? '-'} ${find(stopped, 'kernelDropped') ?? '-'} ${stdout?.dropped ?? '-'} ${find(stopped, 'bytesShed') ?? '-'}\n`);
