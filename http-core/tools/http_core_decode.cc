// http-core-decode: decodes one saved connection (the two per-direction files tcpflow writes) with
// the native build of the core and prints each message as a JSON line on stdout (log records go to
// stderr). With --repeat it also measures throughput.
//
//   http-core-decode [--max-body-size N] [--max-buffered-bytes N] [--chunk N] [--repeat N] [--stats]
//                    [--conns N [--rounds R]] CLIENT SERVER
//   http-core-decode --repeat N [--max-body-size N] --batches FILE
//
// The options are the tool's (a body size to compare with tshark; no budget by default, since one
// connection's bodies are already bounded by --max-body-size), not the sniffer's defaults.
//
// Without times the client's bytes go first, then the server's (like decodeStreams), in --chunk
// sized data events (default: one event per 64 KiB). The end of the files is a FIN.
//
// --conns N (with --repeat) measures the shape of bench/live.sh's conns scenario instead: N
// connections open at once, each carrying the two files (one exchange, e.g. make_bench_streams.mjs
// --nginx): every connection's client bytes, then every connection's server bytes, R times
// (--rounds, default 2), then every close; the events in batches of about 256 KiB.
//
// --batches FILE (with --repeat) measures the batches of a capture as the CLI's --read feeds them
// (bench_wasm.mjs's --batches: each a u32 little-endian length and its bytes), with the CLI's default
// redaction lists (docs/configuration.md, "Redaction").
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "batch_writer.h"
#include "engine.h"

namespace {

bool ReadFile(const char* path, std::string* out) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

using stream_format::CloseReason;
using stream_format::Direction;

void AddStream(http_core::BatchWriter& w, Direction dir, const std::string& bytes, size_t chunk) {
  for (size_t off = 0; off < bytes.size(); off += chunk) {
    w.Data(1, dir, std::string_view(bytes).substr(off, chunk));
  }
}

// Like the TS engine adapter: batches of about 256 KiB.
class Batches {
 public:
  http_core::BatchWriter& writer() { return w_; }
  void Cut() {
    if (w_.bytes().size() >= 262144) Flush();
  }
  std::vector<std::vector<uint8_t>> Take() {
    Flush();
    return std::move(batches_);
  }

 private:
  void Flush() {
    if (w_.bytes().empty()) return;
    batches_.push_back(w_.bytes());
    w_.Clear();
  }
  http_core::BatchWriter w_;
  std::vector<std::vector<uint8_t>> batches_;
};

const uint8_t kClientIp[4] = {10, 0, 0, 1}, kServerIp[4] = {10, 0, 0, 2};

std::vector<std::vector<uint8_t>> OneConnection(const std::string& client, const std::string& server,
                                                size_t chunk) {
  Batches b;
  b.writer().Open(1, kClientIp, 40000, kServerIp, 80);
  for (Direction dir : {Direction::kClientToServer, Direction::kServerToClient}) {
    const std::string& bytes = dir == Direction::kClientToServer ? client : server;
    for (size_t off = 0; off < bytes.size(); off += chunk) {
      b.writer().Data(1, dir, std::string_view(bytes).substr(off, chunk));
      b.Cut();
    }
  }
  b.writer().Close(1, CloseReason::kFin);
  return b.Take();
}

std::vector<std::vector<uint8_t>> ManyConnections(const std::string& client, const std::string& server,
                                                  uint32_t conns, uint32_t rounds) {
  Batches b;
  int64_t ts = 1700000000000000;
  for (uint32_t k = 1; k <= conns; ++k) {
    const uint8_t ip[4] = {127, 0, 1, static_cast<uint8_t>(1 + k % 4)};
    b.writer().Open(k, ip, static_cast<uint16_t>(1024 + k % 60000), kServerIp, 8080, ts += 10);
    b.Cut();
  }
  for (uint32_t r = 0; r < rounds; ++r) {
    for (Direction dir : {Direction::kClientToServer, Direction::kServerToClient}) {
      const std::string& bytes = dir == Direction::kClientToServer ? client : server;
      for (uint32_t k = 1; k <= conns; ++k) {
        b.writer().Data(k, dir, bytes, ts += 10);
        b.Cut();
      }
    }
  }
  for (uint32_t k = 1; k <= conns; ++k) {
    b.writer().Close(k, CloseReason::kFin, ts += 10);
    b.Cut();
  }
  return b.Take();
}

// The CLI's default redaction lists (ts/src/config-tables.ts, ts/src/rules-config.ts).
const char kCliRedactHeaders[] = "authorization,proxy-authorization,cookie,set-cookie";
const char kCliQueryParams[] =
    "token,access_token,refresh_token,id_token,api_key,apikey,api-key,key,password,passwd,pwd,secret,"
    "client_secret,signature,sig,code,auth,session,sessionid,jwt,x-amz-signature,x-amz-credential,"
    "x-amz-security-token";
const char kCliBodyFields[] =
    "password,passwd,pwd,secret,token,access_token,refresh_token,id_token,client_secret,api_key,apikey,"
    "private_key,credit_card,card_number,cardnumber,cvv,cvc,ssn";

bool ReadBatches(const char* path, std::vector<std::vector<uint8_t>>* out) {
  std::string all;
  if (!ReadFile(path, &all)) return false;
  for (size_t at = 0; at < all.size();) {
    if (all.size() - at < 4) return false;
    uint32_t len;
    std::memcpy(&len, all.data() + at, 4);  // little-endian, as this machine
    at += 4;
    if (len > all.size() - at) return false;
    out->emplace_back(all.begin() + static_cast<std::ptrdiff_t>(at), all.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: http-core-decode [--max-body-size N] [--max-buffered-bytes N] [--chunk N] "
               "[--repeat N] [--stats] [--conns N [--rounds R]] CLIENT SERVER\n"
               "       http-core-decode --repeat N [--max-body-size N] --batches FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t max_body = 65536;
  uint64_t max_buffered = UINT64_MAX;
  size_t chunk = 65536;
  long repeat = 0;
  bool stats = false;
  uint32_t conns = 0, rounds = 2;
  const char* batch_file = nullptr;
  const char* files[2] = {nullptr, nullptr};
  int nfiles = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--max-body-size") == 0 && i + 1 < argc) {
      max_body = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(a, "--max-buffered-bytes") == 0 && i + 1 < argc) {
      max_buffered = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(a, "--chunk") == 0 && i + 1 < argc) {
      chunk = std::strtoul(argv[++i], nullptr, 10);
      if (chunk == 0) return Usage();
    } else if (std::strcmp(a, "--repeat") == 0 && i + 1 < argc) {
      repeat = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(a, "--conns") == 0 && i + 1 < argc) {
      conns = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(a, "--rounds") == 0 && i + 1 < argc) {
      rounds = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(a, "--batches") == 0 && i + 1 < argc) {
      batch_file = argv[++i];
    } else if (std::strcmp(a, "--stats") == 0) {
      stats = true;
    } else if (nfiles < 2 && a[0] != '-') {
      files[nfiles++] = a;
    } else {
      return Usage();
    }
  }
  if (batch_file != nullptr ? (nfiles != 0 || repeat <= 0) : (nfiles != 2 || (conns > 0 && repeat <= 0))) {
    return Usage();
  }
  std::string client, server;
  for (int k = 0; k < nfiles; ++k) {
    if (!ReadFile(files[k], k == 0 ? &client : &server)) {
      std::fprintf(stderr, "http-core-decode: cannot read %s\n", files[k]);
      return 1;
    }
  }
  http_core::EngineOptions options(max_body, max_buffered);
  if (batch_file != nullptr) options.redact_csv = kCliRedactHeaders;
  if (repeat > 0) {
    std::vector<std::vector<uint8_t>> batches;
    if (batch_file != nullptr) {
      if (!ReadBatches(batch_file, &batches)) {
        std::fprintf(stderr, "http-core-decode: cannot read the batches of %s\n", batch_file);
        return 1;
      }
    } else {
      batches = conns > 0 ? ManyConnections(client, server, conns, rounds) : OneConnection(client, server, chunk);
    }
    uint64_t messages = 0, output_bytes = 0;
    // CPU time as well as wall time: on a shared machine the wall clock also counts other work.
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    for (long r = 0; r < repeat; ++r) {
      http_core::Engine engine(options);
      if (batch_file != nullptr) {
        engine.Configure(1, reinterpret_cast<const uint8_t*>(kCliQueryParams), std::strlen(kCliQueryParams));
        engine.Configure(2, reinterpret_cast<const uint8_t*>(kCliBodyFields), std::strlen(kCliBodyFields));
      }
      for (const auto& batch : batches) {
        engine.Feed(batch.data(), batch.size());
        output_bytes += engine.output().size();
        engine.ClearOutput();
      }
      messages += engine.stats().requests + engine.stats().responses;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu_secs = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const uint64_t copies = conns > 0 ? uint64_t{conns} * rounds : 1;
    uint64_t pass_bytes = (client.size() + server.size()) * copies;
    if (batch_file != nullptr) {
      pass_bytes = 0;
      for (const auto& b : batches) pass_bytes += b.size();
    }
    const double mb = static_cast<double>(pass_bytes) * repeat / 1e6;
    std::printf("{\"bytes\":%llu,\"repeat\":%ld,\"seconds\":%.3f,\"MBps\":%.1f,\"messagesPerSec\":%.0f,"
                "\"cpuSeconds\":%.3f,\"cpuMBps\":%.1f,\"cpuUsPerMessage\":%.3f}\n",
                static_cast<unsigned long long>(pass_bytes), repeat, secs, mb / secs,
                static_cast<double>(messages) / secs, cpu_secs, mb / cpu_secs,
                messages ? cpu_secs * 1e6 / static_cast<double>(messages) : 0.0);
    return 0;
  }
  http_core::BatchWriter w;
  w.Open(1, kClientIp, 40000, kServerIp, 80);
  AddStream(w, Direction::kClientToServer, client, chunk);
  AddStream(w, Direction::kServerToClient, server, chunk);
  w.Close(1, CloseReason::kFin);
  http_core::Engine engine(options);
  engine.Feed(w.bytes().data(), w.bytes().size());
  // Messages on stdout, log records on stderr: each buffer is already JSON lines.
  if (!engine.output().empty()) std::fwrite(engine.output().data(), 1, engine.output().size(), stdout);
  if (!engine.records().empty()) std::fwrite(engine.records().data(), 1, engine.records().size(), stderr);
  if (stats) std::fprintf(stderr, "%s\n", engine.StatsJson().c_str());
  return 0;
}
