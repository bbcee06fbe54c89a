// The capture over real libpcap: files written by tcpdump from real loopback traffic (and converted
// to pcapng by editcap), a file cut partway, files that are not captures, live capture on `lo`, and
// shedding when the consumer refuses batches.
#include "capture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "event_writer.h"
#include "test_support.h"

extern char** environ;

namespace capture_shim {
namespace {

using namespace capture_shim::testing;
using namespace std::chrono_literals;

class Collector : public BatchConsumer {
 public:
  bool TryDeliver(Batch* batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (refuse > 0) {
      --refuse;
      return false;
    }
    Take(batch);
    return true;
  }
  bool Deliver(Batch* batch) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
    std::lock_guard<std::mutex> lock(mu_);
    Take(batch);
    return true;
  }
  void End(const CaptureStatus& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    ended_ = true;
    cv_.notify_all();
  }
  bool WaitEnd(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }
  std::vector<Event> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Event> all;
    for (const Bytes& b : batches_) {
      std::vector<Event> ev = ParseEvents(b);
      all.insert(all.end(), ev.begin(), ev.end());
    }
    return all;
  }
  size_t batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_.size();
  }
  CaptureStatus status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

  int refuse = 0;   // TryDeliver refusals to make before accepting
  int slow_ms = 0;  // Deliver's delay: an offline reader must wait, not shed

 private:
  void Take(Batch* batch) {
    EXPECT_FALSE(batch->empty());
    batches_.emplace_back(batch->begin(), batch->end());
    batch->clear();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Bytes> batches_;
  bool ended_ = false;
  CaptureStatus status_;
};

// A listening socket on 127.0.0.1 and one real exchange through it: the client sends `request`
// and half-closes; the server reads it all, sends `response`, closes.
class LoopbackServer {
 public:
  explicit LoopbackServer(bool ipv6 = false) : ipv6_(ipv6) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    sockaddr_storage a{};
    socklen_t len = Loopback(0, &a);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  ~LoopbackServer() { close(fd_); }
  uint16_t port() const { return port_; }

  void Exchange(const std::string& request, const std::string& response) {
    std::thread server([&] {
      int c = accept(fd_, nullptr, nullptr);
      std::string got;
      char buf[65536];
      for (ssize_t n; (n = read(c, buf, sizeof buf)) > 0;) got.append(buf, n);
      EXPECT_EQ(got, request);
      WriteAll(c, response);
      close(c);
    });
    int c = socket(ipv6_ ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    sockaddr_storage a{};
    socklen_t len = Loopback(port_, &a);
    EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), len), 0);
    for (size_t off = 0; off < request.size(); off += 1000) {
      WriteAll(c, request.substr(off, 1000));  // several segments
    }
    shutdown(c, SHUT_WR);
    std::string got;
    char buf[65536];
    for (ssize_t n; (n = read(c, buf, sizeof buf)) > 0;) got.append(buf, n);
    EXPECT_EQ(got.size(), response.size());
    close(c);
    server.join();
  }

 private:
  socklen_t Loopback(uint16_t port, sockaddr_storage* out) const {
    if (ipv6_) {
      auto* a = reinterpret_cast<sockaddr_in6*>(out);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      a->sin6_port = htons(port);
      return sizeof *a;
    }
    auto* a = reinterpret_cast<sockaddr_in*>(out);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    return sizeof *a;
  }
  static void WriteAll(int fd, const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      ssize_t n = write(fd, s.data() + off, s.size() - off);
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
    }
  }
  bool ipv6_;
  int fd_;
  uint16_t port_;
};

std::string Pattern(size_t n, char seed) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/capture_shim_test_" + std::to_string(getpid()) + "_" +
         name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int RunTool(std::vector<std::string> argv, const std::string& stderr_path, pid_t* pid_out = nullptr) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  if (pid_out != nullptr) {
    *pid_out = pid;
    return 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Records one real exchange with tcpdump into `path`.
void RecordWithTcpdump(const std::string& path, const std::string& request,
                       const std::string& response) {
  LoopbackServer server;
  std::string err = path + ".stderr";
  pid_t pid;
  ASSERT_EQ(RunTool({"tcpdump", "-i", "lo", "--immediate-mode", "-B", "65536", "-U", "-s", "0", "-w", path, "tcp port " +
                 std::to_string(server.port())}, err, &pid), 0);
  for (int i = 0; i < 100 && ReadFile(err).find("listening on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(ReadFile(err).find("listening on"), std::string::npos) << ReadFile(err);
  server.Exchange(request, response);
  std::this_thread::sleep_for(300ms);  // let the last packets reach the file
  kill(pid, SIGINT);
  int status;
  waitpid(pid, &status, 0);
  unlink(err.c_str());
}

struct Recorded {
  std::string pcap;
  std::string request = "POST /upload HTTP/1.1\r\nContent-Length: 20000\r\n\r\n" + Pattern(20000, 1);
  std::string response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Pattern(300000, 2);
};

// One recording shared by the offline tests (tcpdump takes a moment to start).
const Recorded& Recording() {
  static Recorded* r = [] {
    auto* rec = new Recorded;
    rec->pcap = TempPath("exchange.pcap");
    RecordWithTcpdump(rec->pcap, rec->request, rec->response);
    return rec;
  }();
  return *r;
}

void ReadFileCapture(const std::string& path, Collector* out, CaptureStatus* open_status,
                     size_t batch_bytes = 256 << 10) {
  CaptureOptions o;
  o.file = path;
  o.batch_bytes = batch_bytes;
  std::unique_ptr<Capture> cap = Capture::Open(o, open_status);
  if (!cap) return;
  cap->Start(out);
  ASSERT_TRUE(out->WaitEnd(30s));
  cap->Join();
}

// Compares long streams without printing them whole.
void ExpectSameBytes(const std::string& got, const std::string& want) {
  EXPECT_EQ(got.size(), want.size());
  size_t n = std::min(got.size(), want.size());
  size_t first_diff = std::mismatch(got.begin(), got.begin() + n, want.begin()).first - got.begin();
  EXPECT_EQ(first_diff, n) << "streams differ at byte " << first_diff << ": got \""
                           << got.substr(first_diff, 40) << "\"";
}

void ExpectTheExchange(const std::vector<Event>& ev, const Recorded& r, CloseReason reason) {
  ASSERT_GE(ev.size(), 3u);
  ASSERT_EQ(ev[0].kind, EventKind::kOpen);
  uint64_t conn = ev[0].conn;
  ExpectSameBytes(StreamOf(ev, conn, 0), r.request);
  ExpectSameBytes(StreamOf(ev, conn, 1), r.response);
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
  EXPECT_EQ(ev.back().arg, static_cast<uint8_t>(reason));
  EXPECT_EQ(ev.back().conn, conn);
}

TEST(OfflineCapture, APcapFromTcpdumpGivesBackBothStreamsExactly) {
  const Recorded& r = Recording();
  Collector out;
  CaptureStatus st;
  ReadFileCapture(r.pcap, &out, &st);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_TRUE(out.status().ok()) << out.status().message;
  ExpectTheExchange(out.Events(), r, CloseReason::kFin);
}

TEST(OfflineCapture, PcapngFromEditcapGivesTheSameStreams) {
  const Recorded& r = Recording();
  std::string ng = TempPath("exchange.pcapng");
  ASSERT_EQ(RunTool({"editcap", "-F", "pcapng", r.pcap, ng}, "/dev/null"), 0);
  Collector out;
  CaptureStatus st;
  ReadFileCapture(ng, &out, &st);
  ASSERT_TRUE(st.ok()) << st.message;
  ExpectTheExchange(out.Events(), r, CloseReason::kFin);
  unlink(ng.c_str());
}

TEST(OfflineCapture, ASlowConsumerIsWaitedForNotShed) {
  const Recorded& r = Recording();
  Collector out;
  out.slow_ms = 5;
  CaptureStatus st;
  ReadFileCapture(r.pcap, &out, &st, 4096);
  ASSERT_TRUE(st.ok());
  EXPECT_GT(out.batches(), 10u);
  ExpectTheExchange(out.Events(), r, CloseReason::kFin);
}

TEST(OfflineCapture, AFileCutPartwayDeliversWhatCameBeforeThenFails) {
  const Recorded& r = Recording();
  std::string whole = ReadFile(r.pcap);
  std::string cut = TempPath("cut.pcap");
  {
    std::ofstream o(cut, std::ios::binary);
    o << whole.substr(0, whole.size() / 2 + 7);  // mid-record
  }
  Collector out;
  CaptureStatus st;
  ReadFileCapture(cut, &out, &st, 4096);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out.status().code, CaptureErrorCode::kReadFailed);
  EXPECT_NE(out.status().message.find("truncated"), std::string::npos) << out.status().message;
  std::vector<Event> ev = out.Events();
  ASSERT_GE(ev.size(), 3u);
  std::string got = StreamOf(ev, ev[0].conn, 0) + StreamOf(ev, ev[0].conn, 1);
  EXPECT_GT(got.size(), 20000u);  // the request and part of the response came through
  ExpectSameBytes(StreamOf(ev, ev[0].conn, 0), r.request);
  EXPECT_EQ(r.response.compare(0, StreamOf(ev, ev[0].conn, 1).size(), StreamOf(ev, ev[0].conn, 1)), 0);
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
  EXPECT_EQ(ev.back().arg, static_cast<uint8_t>(CloseReason::kShutdown));
  unlink(cut.c_str());
}

TEST(OfflineCapture, FramesRemovedWithEditcapBecomeGaps) {
  const Recorded& r = Recording();
  // Remove two frames mid-transfer, whatever they carry.
  std::string holed = TempPath("holed.pcap");
  ASSERT_EQ(RunTool({"editcap", r.pcap, holed, "10-11"}, "/dev/null"), 0);
  Collector out;
  CaptureStatus st;
  ReadFileCapture(holed, &out, &st);
  ASSERT_TRUE(st.ok());
  std::vector<Event> ev = out.Events();
  ASSERT_GE(ev.size(), 3u);
  // Whatever was lost, each direction still accounts for every byte: data + gaps = what was sent.
  for (uint8_t dir : {0, 1}) {
    uint64_t total = 0;
    for (const Event& e : ev) {
      if (e.arg != dir || e.conn != ev[0].conn) continue;
      if (e.kind == EventKind::kData) total += e.payload.size();
      if (e.kind == EventKind::kGap) total += e.Gap();
    }
    EXPECT_EQ(total, dir == 0 ? r.request.size() : r.response.size()) << "direction " << int(dir);
  }
  unlink(holed.c_str());
}

TEST(OfflineCapture, MissingFileAndNonCaptureFileFailToOpen) {
  CaptureOptions o;
  o.file = TempPath("does-not-exist.pcap");
  CaptureStatus st;
  EXPECT_EQ(Capture::Open(o, &st), nullptr);
  EXPECT_EQ(st.code, CaptureErrorCode::kFileNotFound);
  o.file = TempPath("not-a-capture.txt");
  {
    std::ofstream f(o.file);
    f << "this is not a capture file at all, just some text";
  }
  EXPECT_EQ(Capture::Open(o, &st), nullptr);
  EXPECT_EQ(st.code, CaptureErrorCode::kOpenFailed);
  EXPECT_EQ(st.message, "unknown file format");  // libpcap's own words
  unlink(o.file.c_str());
}

TEST(LiveCapture, UnknownInterfaceListsTheOnesThatExist) {
  CaptureOptions o;
  o.interface = "no-such-if0";
  o.ports = {80};
  CaptureStatus st;
  EXPECT_EQ(Capture::Open(o, &st), nullptr);
  EXPECT_EQ(st.code, CaptureErrorCode::kInterfaceNotFound);
  EXPECT_NE(std::find(st.interfaces.begin(), st.interfaces.end(), "lo"), st.interfaces.end());
}

TEST(LiveCapture, WithoutPrivilegeLibpcapsPermissionErrorIsReported) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    // Dropping every uid from root clears the capabilities too.
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(3);
    CaptureOptions o;
    o.interface = "lo";
    o.ports = {80};
    CaptureStatus st;
    std::unique_ptr<Capture> cap = Capture::Open(o, &st);
    std::string msg = std::string(CaptureErrorName(st.code)) + "|" + st.message;
    ssize_t ignored = write(fds[1], msg.data(), msg.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, n);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  EXPECT_EQ(msg.substr(0, msg.find('|')), "CAPTURE_OPEN_FAILED") << msg;
  // libpcap's own words ("socket: Operation not permitted"), whatever its version says exactly.
  EXPECT_TRUE(msg.find("not permitted") != std::string::npos ||
              msg.find("permission") != std::string::npos)
      << msg;
}

// Live capture on lo of a real exchange; `refuse` batches are refused first (JS "behind").
std::vector<Event> CaptureLive(int refuse, size_t batch_bytes, const std::string& request,
                               const std::string& response, CaptureStats* stats,
                               const std::string& interface = "lo", bool ipv6 = false) {
  LoopbackServer server(ipv6);
  CaptureOptions o;
  o.interface = interface;
  o.ports = {server.port()};
  o.batch_bytes = batch_bytes;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(o, &st);
  EXPECT_TRUE(cap != nullptr) << st.message;
  if (!cap) return {};
  Collector out;
  out.refuse = refuse;
  cap->Start(&out);
  std::this_thread::sleep_for(100ms);
  server.Exchange(request, response);
  // Wait until the close is captured (both FINs), then stop.
  for (int i = 0; i < 100; ++i) {
    std::vector<Event> ev = out.Events();
    if (!ev.empty() && ev.back().kind == EventKind::kClose) break;
    std::this_thread::sleep_for(50ms);
  }
  cap->Stop();
  cap->Stop();  // idempotent
  EXPECT_TRUE(out.WaitEnd(10s));
  cap->Join();
  EXPECT_TRUE(out.status().ok()) << out.status().message;
  *stats = cap->Stats();
  return out.Events();
}

TEST(LiveCapture, CapturesARealExchangeOnLoopback) {
  Recorded r;
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(0, 256 << 10, r.request, r.response, &stats);
  ExpectTheExchange(ev, r, CloseReason::kFin);
  EXPECT_GT(stats.kernel_received, 0u);
  EXPECT_EQ(stats.bytes_shed, 0u);
  EXPECT_GT(stats.batches_delivered, 0u);
}

TEST(LiveCapture, TheAnyDeviceAndIpv6) {
  // `any` delivers Linux cooked v2 frames; its BPF has no vlan clause.
  Recorded r;
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(0, 256 << 10, r.request, r.response, &stats, "any", true);
  ExpectTheExchange(ev, r, CloseReason::kFin);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev[0].payload[0], 6);
  EXPECT_EQ(ev[0].payload[4 + 15], 1);  // client ::1
  EXPECT_EQ(ev[0].payload[20 + 15], 1);  // server ::1
}

TEST(LiveCapture, RefusedBatchesAreShedAsGapsAndCounted) {
  Recorded r;
  r.response = "HTTP/1.1 200 OK\r\n\r\n" + Pattern(3'000'000, 3);
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(3, 16 << 10, r.request, r.response, &stats);
  ASSERT_GE(ev.size(), 3u);
  EXPECT_GT(stats.bytes_shed, 0u);
  EXPECT_GE(stats.batches_shed_full, 3u);
  uint64_t conn = ev[0].conn;
  bool saw_gap = false;
  for (uint8_t dir : {0, 1}) {
    uint64_t total = 0;
    for (const Event& e : ev) {
      if (e.arg != dir || e.conn != conn) continue;
      if (e.kind == EventKind::kOpen || e.kind == EventKind::kClose) continue;
      if (e.kind == EventKind::kData) total += e.payload.size();
      if (e.kind == EventKind::kGap) {
        total += e.Gap();
        saw_gap = true;
      }
    }
    EXPECT_EQ(total, dir == 0 ? r.request.size() : r.response.size());
  }
  EXPECT_TRUE(saw_gap);
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
}

}  // namespace
}  // namespace capture_shim
