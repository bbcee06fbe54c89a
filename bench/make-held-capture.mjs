#!/usr/bin/env node
// Writes the capture of issue 9, item 4 (no root, no traffic: a made-up pcap): HELD connections that each
// send a request line and a LINE_KIB KiB header line with no CRLF, then stay silent to the end of the
// file, interleaved a segment at a time, and ORDINARY complete exchanges after them. docs/performance.md
// ("One budget") reads it with --max-buffered-bytes 16777216 and reports peak RSS and CPU time.
//
// Usage: node bench/make-held-capture.mjs [OUT (default bench/out/held.pcap)] [HELD (2000)] [LINE_KIB (60)] [ORDINARY (200)]
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeHeldHeaderCapture } from '../ts/test/helpers/pcap-writer.mjs';

const [out = 'bench/out/held.pcap', held = '2000', lineKib = '60', ordinary = '200'] = process.argv.slice(2);
mkdirSync(path.dirname(out), { recursive: true });
writeHeldHeaderCapture(out, { held: Number(held), lineBytes: Number(lineKib) * 1024, ordinary: Number(ordinary) });
console.log(out);
