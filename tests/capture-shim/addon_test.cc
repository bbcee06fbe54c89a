// The addon through real Node: a pcap written by libpcap's own dumper, read with start(); a damaged
// file; the error codes of start(); a live capture stopped twice, after which the process exits.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "packet_decoder.h"
#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

std::string Temp(const std::string& name) {
  return "/tmp/capture_shim_addon_" + std::to_string(getpid()) + "_" + name;
}

// Every option the addon requires, as ts/src/sniffer.ts passes them: OPTS(o) overrides some.
const char* kOptions = R"JS(
const OPTS = (o) => Object.assign({ snaplen: 262144, captureBufferBytes: 4 << 20, sampleRate: 1,
  maxConcurrentConnections: 10000, connectionIdleTimeoutMs: 60000, maxBufferedBytes: 134217728,
  batchBytes: 262144, maxQueuedBytes: 20 << 20, reuseBatches: false }, o);
// A batch is a plain Uint8Array (no Buffer methods): the event's little-endian u32 at `o`.
const U32 = (b, o) => (b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24) >>> 0;
const U64 = (b, o) => BigInt(U32(b, o)) | BigInt(U32(b, o + 4)) << 32n;
)JS";

// Runs `script` with node (the addon's path in SHIM); returns stdout, and the exit code in *rc.
std::string RunNode(const std::string& script, int* rc) {
  std::string js = Temp("script.js");
  std::string out = Temp("out.txt");
  {
    std::ofstream f(js);
    f << "const SHIM = require(" << '"' << CAPTURE_SHIM_ADDON_PATH << '"' << ");\n" << kOptions
      << script;
  }
  std::string cmd = "timeout 30 node " + js + " > " + out + " 2>&1";
  int status = std::system(cmd.c_str());
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(js.c_str());
  unlink(out.c_str());
  return ss.str();
}

// A pcap of `connections` complete HTTP exchanges, written by libpcap's dumper.
std::string WritePcap(int connections) {
  std::string path = Temp("exchanges.pcap");
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  int64_t t = 1'700'000'000'000'000;
  auto put = [&](uint16_t sport, bool to_server, uint32_t seq, uint32_t ack, uint8_t flags,
                 const std::string& payload) {
    TcpSpec s;
    s.sport = to_server ? sport : 8080;
    s.dport = to_server ? 8080 : sport;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.payload = payload;
    Bytes ip = to_server ? Ipv4(TcpBytes(s)) : Ipv4(TcpBytes(s), 6, {10, 0, 0, 2}, {10, 0, 0, 1});
    Bytes frame = Ethernet(ip, 0x0800);
    pcap_pkthdr h{};
    t += 10;
    h.ts.tv_sec = t / 1'000'000;
    h.ts.tv_usec = t % 1'000'000;
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, frame.data());
  };
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  for (int i = 0; i < connections; ++i) {
    uint16_t port = static_cast<uint16_t>(20000 + i);
    put(port, true, 100, 0, kTcpSyn, "");
    put(port, false, 500, 101, kTcpSyn | kTcpAck, "");
    put(port, true, 101, 501, kTcpAck, req);
    put(port, false, 501, 101 + req.size(), kTcpAck, resp);
    put(port, true, 101 + req.size(), 501 + resp.size(), kTcpAck | kTcpFin, "");
    put(port, false, 501 + resp.size(), 102 + req.size(), kTcpAck | kTcpFin, "");
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return path;
}

const char* kCountScript = R"JS(
const n = {1: 0, 2: 0, 3: 0, 4: 0}; let batches = 0, dataBytes = 0;
let kept = null;
const h = SHIM.start(OPTS({ file: FILE, ports: [8080], batchBytes: 4096, reuseBatches: REUSE }), (b) => {
  batches++;
  kept = b;
  for (let o = 0; o < b.length; o += 24 + U32(b, o + 4)) {
    n[b[o]]++;
    if (b[o] === 2) dataBytes += U32(b, o + 4);
  }
}, (err) => {
  const st = SHIM.stats(h);
  console.log(JSON.stringify({ open: n[1], data: n[2], gap: n[3], close: n[4], batches, dataBytes,
    code: err ? err.code : null, message: err ? err.message : null,
    tracked: st.connectionsTracked, delivered: st.bytesDelivered, seen: st.packetsSeen,
    keptLength: kept ? kept.length : -1 }));
});
)JS";

TEST(Addon, ReadsAPcapIntoBatchesAndEnds) {
  std::string pcap = WritePcap(50);
  int rc;
  std::string out = RunNode("const FILE = '" + pcap + "', REUSE = false;\n" + kCountScript, &rc);
  EXPECT_EQ(rc, 0) << out;  // the process exits on its own once the capture ended
  EXPECT_NE(out.find("\"open\":50,\"data\":100,\"gap\":0,\"close\":50"), std::string::npos) << out;
  EXPECT_NE(out.find("\"code\":null"), std::string::npos) << out;
  EXPECT_NE(out.find("\"tracked\":50"), std::string::npos) << out;
  EXPECT_NE(out.find("\"dataBytes\":3350,"), std::string::npos) << out;  // 50 × (27 + 40)
  EXPECT_NE(out.find("\"delivered\":3350,\"seen\":300"), std::string::npos) << out;
  EXPECT_EQ(out.find("\"batches\":1,"), std::string::npos) << "batchBytes must split it: " << out;
  EXPECT_EQ(out.find("\"keptLength\":0"), std::string::npos) << "an owned batch stays valid: " << out;
  unlink(pcap.c_str());
}

TEST(Addon, ReusedBatchesGiveTheSameEventsAndEmptyWhenKept) {
  std::string pcap = WritePcap(50);
  int rc;
  std::string out = RunNode("const FILE = '" + pcap + "', REUSE = true;\n" + kCountScript, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"open\":50,\"data\":100,\"gap\":0,\"close\":50"), std::string::npos) << out;
  EXPECT_NE(out.find("\"dataBytes\":3350,"), std::string::npos) << out;
  // A batch kept past its callback is detached: empty, never dangling.
  EXPECT_NE(out.find("\"keptLength\":0"), std::string::npos) << out;
  unlink(pcap.c_str());
}

TEST(Addon, ADamagedFileDeliversTheGoodPartThenCaptureReadFailed) {
  std::string pcap = WritePcap(50);
  std::string cut = Temp("cut.pcap");
  {
    std::ifstream in(pcap, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string all = ss.str();
    std::ofstream o(cut, std::ios::binary);
    o << all.substr(0, all.size() / 2 + 5);
  }
  int rc;
  std::string out = RunNode("const FILE = '" + cut + "', REUSE = false;\n" + kCountScript, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"code\":\"CAPTURE_READ_FAILED\""), std::string::npos) << out;
  EXPECT_NE(out.find("truncated dump file"), std::string::npos) << out;
  EXPECT_EQ(out.find("\"open\":0,"), std::string::npos) << "the good part must come first: " << out;
  unlink(pcap.c_str());
  unlink(cut.c_str());
}

TEST(Addon, StartThrowsWithTheContractCodes) {
  int rc;
  std::string out = RunNode(R"JS(
const tryStart = (opts) => { try { SHIM.start(opts, () => {}, () => {}); return 'started'; }
  catch (e) { return e.code + ' ' + (e.interfaces ? e.interfaces.includes('lo') : '') + ' ' + e.message; } };
console.log('A ' + tryStart(OPTS({ file: '/nonexistent/x.pcap', ports: [] })));
console.log('B ' + tryStart(OPTS({ interface: 'nope0', ports: [80] })));
console.log('C ' + tryStart(OPTS({ file: '/etc/hostname', ports: [] })));
console.log('D ' + tryStart(OPTS({ file: '/etc/hostname', ports: [0] })));
console.log('E ' + tryStart(OPTS({ interface: 'lo', ports: [80], sampleRate: 2 })));
console.log('F ' + tryStart(OPTS({ interface: 'lo', ports: [] })));
console.log('G ' + JSON.stringify(SHIM.listInterfaces().includes('lo')));
console.log('H ' + tryStart(OPTS({ interface: 'lo', ports: [80], captureBufferBytes: undefined })));
console.log('I ' + tryStart(OPTS({ interface: 'lo', ports: [80], reuseBatches: undefined })));
console.log('J ' + tryStart({ interface: 'lo', ports: [80] }));
)JS", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("A FILE_NOT_FOUND"), std::string::npos) << out;
  EXPECT_NE(out.find("B INTERFACE_NOT_FOUND true"), std::string::npos) << out;
  EXPECT_NE(out.find("C CAPTURE_OPEN_FAILED"), std::string::npos) << out;
  EXPECT_NE(out.find("D INVALID_OPTION  capture option `ports`: must be an array of integers 1-65535"),
            std::string::npos) << out;
  EXPECT_NE(out.find("E INVALID_OPTION  capture option `sampleRate`"), std::string::npos) << out;
  EXPECT_NE(out.find("F INVALID_OPTION  capture option `ports`: must not be empty"), std::string::npos)
      << out;
  EXPECT_NE(out.find("G true"), std::string::npos) << out;
  // No option has a fallback in the addon: a missing one is named.
  EXPECT_NE(out.find("H INVALID_OPTION  capture option `captureBufferBytes`: is required (integer from 1048576 to "),
            std::string::npos) << out;
  EXPECT_NE(out.find("I INVALID_OPTION  capture option `reuseBatches`: is required (a boolean)"),
            std::string::npos) << out;
  EXPECT_NE(out.find("J INVALID_OPTION  capture option `snaplen`: is required"), std::string::npos) << out;
}

#ifdef FOREIGN_EXTERNAL_ADDON_PATH
TEST(Addon, AnExternalThatIsNotACaptureHandleIsATypeError) {
  int rc;
  std::string out = RunNode(std::string("const FOREIGN = require('") + FOREIGN_EXTERNAL_ADDON_PATH +
                                "');\n" + R"JS(
const attempt = (name, fn) => { try { fn(); console.log(name + ' accepted'); }
  catch (e) { console.log(name + ' ' + e.constructor.name + ' ' + e.code + ' ' + e.message); } };
const foreign = FOREIGN.make();
attempt('stats', () => SHIM.stats(foreign));
attempt('stop', () => SHIM.stop(foreign));
attempt('object', () => SHIM.stats({}));
)JS", &rc);
  EXPECT_EQ(rc, 0) << out;  // reading another addon's memory as a session would crash here
  EXPECT_NE(out.find("stats TypeError INVALID_HANDLE stats(h): `h` must be a capture handle "
                     "returned by start()"), std::string::npos) << out;
  EXPECT_NE(out.find("stop TypeError INVALID_HANDLE stop(h): `h`"), std::string::npos) << out;
  EXPECT_NE(out.find("object TypeError INVALID_HANDLE stats(h): `h`"), std::string::npos) << out;
}
#endif

// Sampling follows a flow hash seeded once per process: every run in one process keeps the same
// connections, and another process keeps others (a client cannot pick 4-tuples to stay unseen).
TEST(Addon, SamplingIsStableWithinAProcessAndDiffersBetweenProcesses) {
  std::string pcap = WritePcap(64);
  const std::string script = "const FILE = '" + pcap + "';\n" + R"JS(
const run = (done) => {
  const ports = [];
  const h = SHIM.start(OPTS({ file: FILE, ports: [8080], sampleRate: 0.5 }), (b) => {
    for (let o = 0; o < b.length; o += 24 + U32(b, o + 4)) {
      if (b[o] === 1) ports.push(b[o + 60] | b[o + 61] << 8);
    }
  }, () => done(ports.sort((x, y) => x - y).join(',')));
};
run((first) => run((second) => console.log('RUN ' + first + (first === second ? ' SAME' : ' DIFFERENT'))));
)JS";
  int rc1, rc2;
  std::string a = RunNode(script, &rc1);
  std::string b = RunNode(script, &rc2);
  ASSERT_EQ(rc1, 0) << a;
  ASSERT_EQ(rc2, 0) << b;
  EXPECT_NE(a.find(" SAME"), std::string::npos) << a;
  EXPECT_NE(b.find(" SAME"), std::string::npos) << b;
  // Half of 64 connections each time; the same half twice by chance: 2^-64.
  EXPECT_NE(a, b) << "two processes sampled the same connections";
  EXPECT_GT(a.size(), std::string("RUN  SAME\n").size()) << a;
  unlink(pcap.c_str());
}

TEST(Addon, LiveStopIsIdempotentAndTheProcessExits) {
  int rc;
  std::string out = RunNode(R"JS(
const net = require('net');
const srv = net.createServer((c) => { c.on('data', () => c.end('HTTP/1.1 204 No Content\r\n\r\n')); });
srv.listen(0, '127.0.0.1', () => {
  const port = srv.address().port;
  let dataEvents = 0, ends = 0;
  const h = SHIM.start(OPTS({ interface: 'lo', ports: [port] }), (b) => {
    for (let o = 0; o < b.length; o += 24 + U32(b, o + 4)) if (b[o] === 2) dataEvents++;
  }, (err) => {
    ends++;
    setTimeout(() => { console.log('END ' + ends + ' ' + err + ' data ' + dataEvents); srv.close(); }, 100);
  });
  setTimeout(() => {
    const c = net.connect(port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\n\r\n'));
    c.on('close', () => setTimeout(() => { SHIM.stop(h); SHIM.stop(h); }, 300));
    c.resume();
  }, 100);
});
)JS", &rc);
  EXPECT_EQ(rc, 0) << out;  // not 124: timeout would mean the process could not exit
  EXPECT_NE(out.find("END 1 null data 2"), std::string::npos) << out;
}

TEST(Addon, ABlockedJsThreadMakesTheQueueRefuseAndEveryShedByteIsAGap) {
  // The traffic comes from another process while this one's JS thread is blocked: the real
  // ThreadSafeFunction queue (one batch deep) fills, the shim sheds, and says so.
  int rc;
  std::string out = RunNode(R"JS(
const { spawn } = require('child_process');
const CHILD = `
const net = require('net');
const body = Buffer.alloc(2000000, 'x');
const srv = net.createServer((c) => { c.once('data', () => c.end(body)); });
srv.listen(0, '127.0.0.1', () => {
  console.log(srv.address().port);
  let left = 5;
  const one = () => {
    const c = net.connect(srv.address().port, '127.0.0.1', () => c.write('GET / HTTP/1.1\\r\\n\\r\\n'));
    c.resume();
    c.on('close', () => (--left > 0 ? one() : srv.close()));
  };
  setTimeout(one, 300);
});`;
const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.once('data', (d) => {
  const port = Number(String(d).trim());
  const conns = new Map();
  const conn = (id) => { if (!conns.has(id)) conns.set(id, { open: 0, close: 0, bytes: [0, 0], gaps: 0 }); return conns.get(id); };
  // A ring that holds the whole burst: this test is about the queue toward JS, not kernel drops.
  const h = SHIM.start(OPTS({ interface: 'lo', ports: [port], batchBytes: 4096, maxQueuedBytes: 1,
    captureBufferBytes: 32 << 20 }), (b) => {
    for (let o = 0; o < b.length; o += 24 + U32(b, o + 4)) {
      const c = conn(U64(b, o + 8)), kind = b[o], len = U32(b, o + 4);
      if (kind === 1) c.open++;
      if (kind === 4) c.close++;
      if (kind === 2) c.bytes[b[o + 1]] += len;
      if (kind === 3) { const lost = Number(U64(b, o + 24)); c.bytes[b[o + 1]] += lost; c.gaps += lost; }
    }
  }, (err) => {
    const st = SHIM.stats(h);
    const all = [...conns.values()];
    console.log(JSON.stringify({ err: String(err), conns: all.length, refused: st.batchesRefused > 0,
      shed: st.bytesShed > 0, gapsCounted: all.reduce((n, c) => n + c.gaps, 0) === st.bytesShed + st.bytesGap,
      whole: all.every((c) => c.open === 1 && c.close === 1 && c.bytes[0] === 18 && c.bytes[1] === 2000000) }));
  });
  const until = Date.now() + 2000;
  while (Date.now() < until) {}  // the JS thread is busy: no batch is taken
  child.on('exit', () => setTimeout(() => SHIM.stop(h), 200));
});
)JS", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(R"({"err":"null","conns":5,"refused":true,"shed":true,"gapsCounted":true,"whole":true})"),
            std::string::npos) << out;
}

TEST(Addon, TheKernelRingIsAsLargeAsCaptureBufferBytes) {
  // The ring is mapped into the process: its size shows in RSS at once (TPACKET_V3: blocks of the
  // ring, no per-packet frames of the snap length).
  int rc;
  std::string out = RunNode(R"JS(
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const grows = (bytes) => new Promise((resolve) => {
  const before = rss();
  const h = SHIM.start(OPTS({ interface: 'lo', ports: [9], captureBufferBytes: bytes }), () => {}, () => resolve(after - before));
  const after = rss();
  SHIM.stop(h);
});
(async () => {
  const small = await grows(1 << 20), large = await grows(48 << 20);
  console.log('RING ' + Math.round((large - small) / (1 << 20)));
})();
)JS", &rc);
  EXPECT_EQ(rc, 0) << out;
  size_t at = out.find("RING ");
  ASSERT_NE(at, std::string::npos) << out;
  int mib = std::stoi(out.substr(at + 5));
  EXPECT_GE(mib, 44) << out;  // 47 MiB more ring, give or take a block and the allocator
  EXPECT_LE(mib, 52) << out;
}

}  // namespace
}  // namespace capture_shim
