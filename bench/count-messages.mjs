#!/usr/bin/env node
// Counts the sniffer's JSON lines on stdin per direction without parsing them (up to a gigabyte per run: a
// JSON parse per line would take longer than the run). A body holding the same text is escaped
// (\"direction\"), so the patterns only match the message's own fields. A NUL byte ends the input: JSON
// lines never hold one, and bench/sink-file.sh's sink is zeros past what the sniffer wrote.
//
// Usage: node bench/count-messages.mjs < sniffer-stdout.jsonl > counts.json
const patterns = {
  requests: Buffer.from('"direction":"request"'),
  responses: Buffer.from('"direction":"response"'),
  incomplete: Buffer.from('"incomplete":true'),
};
const counts = { lines: 0, requests: 0, responses: 0, incomplete: 0, bytes: 0 };
let tail = Buffer.alloc(0);

function occurrences(buf, pattern) {
  let n = 0;
  for (let i = buf.indexOf(pattern); i >= 0; i = buf.indexOf(pattern, i + pattern.length)) n++;
  return n;
}

// Only whole lines are searched, so a pattern never straddles two chunks.
function count(buf) {
  for (const [key, pattern] of Object.entries(patterns)) counts[key] += occurrences(buf, pattern);
  counts.lines += occurrences(buf, Buffer.from('\n'));
}

for await (const whole of process.stdin) {
  const nul = whole.indexOf(0);
  const chunk = nul < 0 ? whole : whole.subarray(0, nul);
  counts.bytes += chunk.length;
  const last = chunk.lastIndexOf(10);
  if (last < 0) {
    tail = Buffer.concat([tail, chunk]);
  } else {
    count(tail.length ? Buffer.concat([tail, chunk.subarray(0, last + 1)]) : chunk.subarray(0, last + 1));
    tail = Buffer.from(chunk.subarray(last + 1));
  }
  if (nul >= 0) break;
}
if (tail.length) count(tail);
process.stdout.write(`${JSON.stringify(counts)}\n`);
