#!/usr/bin/env node
// Counts exchanges in the sniffer's JSON lines on stdin: a request and a final response (status >= 200)
// on one connection with the same `exchange`, neither `unpaired`. Where the request says what its
// answer must be (bench/load.mjs against ts/test/helpers/traffic-server.mjs: /status/S answers S,
// /size/N and /chunked/N a body of N bytes), a complete answer that says otherwise is a wrong pairing.
//
// Usage: node bench/count-exchanges.mjs < sniffer-stdout.jsonl
import { createInterface } from 'node:readline';

const conns = new Map();
const counts = { requests: 0, responses: 0, unpairedRequests: 0, unpairedResponses: 0, exchanges: 0, checked: 0, wrong: 0 };
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.startsWith('{')) continue;
  const m = JSON.parse(line);
  let c = conns.get(m.connectionId);
  if (!c) conns.set(m.connectionId, (c = { requests: new Map(), responses: [] }));
  if (m.direction === 'request') {
    counts.requests++;
    if (m.unpaired) counts.unpairedRequests++;
    else c.requests.set(m.exchange, m);
  } else {
    counts.responses++;
    if (m.unpaired) counts.unpairedResponses++;
    else if (m.statusCode >= 200) c.responses.push(m);
  }
}
for (const c of conns.values()) {
  for (const res of c.responses) {
    const req = c.requests.get(res.exchange);
    if (!req) continue;
    counts.exchanges++;
    const want = expected(req);
    if (!want || res.incomplete) continue;
    counts.checked++;
    if ((want.status && res.statusCode !== want.status) || (want.bodySize !== undefined && res.bodySize !== want.bodySize)) {
      counts.wrong++;
    }
  }
}
console.log(JSON.stringify(counts));

function expected(req) {
  const status = /^\/status\/(\d{3})$/.exec(req.path ?? '');
  if (status) return { status: Number(status[1]) };
  const sized = /^\/(size|chunked)\/(\d+)$/.exec(req.path ?? '');
  if (sized && req.method === 'GET') return { status: 200, bodySize: Number(sized[2]) };
  return null;
}
