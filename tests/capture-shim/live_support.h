// Helpers of the capture tests that run real libpcap: a consumer that collects batches, a real
// exchange over a loopback socket, external tools (tcpdump, editcap), and capture options with every
// field set (the library's defaults, except a smaller kernel ring).
#ifndef TESTS_CAPTURE_SHIM_LIVE_SUPPORT_H_
#define TESTS_CAPTURE_SHIM_LIVE_SUPPORT_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capture.h"
#include "event_writer.h"
#include "test_support.h"

extern char** environ;

namespace capture_shim {
namespace testing {

// Every option set, as ts/src/sniffer.ts would (a 4 MiB kernel ring is plenty for these tests).
inline CaptureOptions TestOptions() {
  CaptureOptions o;
  o.snaplen = 262144;
  o.buffer_bytes = 4 << 20;
  o.sample_rate = 1;
  o.max_connections = 10000;
  o.idle_timeout_ms = 60000;
  o.max_buffered_bytes = 128ull << 20;
  o.batch_bytes = 256 << 10;
  o.max_queued_bytes = 20 << 20;
  return o;
}

inline CaptureOptions LiveOptions(const std::string& interface, uint16_t port) {
  CaptureOptions o = TestOptions();
  o.interface = interface;
  o.ports = {port};
  return o;
}

class Collector : public BatchConsumer {
 public:
  bool TryDeliver(Batch* batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++offered_;
    if (refuse > 0) {
      --refuse;
      return false;
    }
    if (std::chrono::steady_clock::now() < refuse_until) return false;
    Take(batch);
    return true;
  }
  bool Deliver(Batch* batch) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
    std::lock_guard<std::mutex> lock(mu_);
    Take(batch);
    return true;
  }
  bool Backlogged() const override { return backlog.load(std::memory_order_relaxed); }
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
  // The size of each batch taken, in order.
  std::vector<size_t> BatchSizes() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<size_t> sizes;
    for (const Bytes& b : batches_) sizes.push_back(b.size());
    return sizes;
  }
  // Live hand-overs tried, taken or refused.
  size_t offered() {
    std::lock_guard<std::mutex> lock(mu_);
    return offered_;
  }
  // When the first batch holding an event for which `match` is true was taken, or nullopt.
  template <typename Match>
  std::optional<std::chrono::steady_clock::time_point> FirstArrival(Match&& match) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < batches_.size(); ++i) {
      for (const Event& e : ParseEvents(batches_[i])) {
        if (match(e)) return arrivals_[i];
      }
    }
    return std::nullopt;
  }
  // FirstArrival, asked again every millisecond up to `polls` times until it has one.
  template <typename Match>
  std::optional<std::chrono::steady_clock::time_point> WaitFirstArrival(Match&& match, int polls) {
    std::optional<std::chrono::steady_clock::time_point> arrived;
    for (int i = 0; i < polls && !arrived; ++i) {
      arrived = FirstArrival(match);
      if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return arrived;
  }
  CaptureStatus status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

  int refuse = 0;   // TryDeliver refusals to make before accepting
  std::chrono::steady_clock::time_point refuse_until{};  // and refusals until then
  int slow_ms = 0;  // Deliver's delay: an offline reader must wait, not shed
  std::atomic<bool> backlog{false};  // what Backlogged() says: JS "behind" yet taking every batch

 private:
  void Take(Batch* batch) {
    EXPECT_FALSE(batch->empty());
    batches_.emplace_back(batch->begin(), batch->end());
    arrivals_.push_back(std::chrono::steady_clock::now());
    batch->clear();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Bytes> batches_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
  size_t offered_ = 0;
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

inline std::string Pattern(size_t n, char seed) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

inline std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/capture_shim_test_" + std::to_string(getpid()) + "_" +
         name;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline int RunTool(std::vector<std::string> argv, const std::string& stderr_path, pid_t* pid_out = nullptr) {
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


// Compares long streams without printing them whole.
inline void ExpectSameBytes(const std::string& got, const std::string& want) {
  EXPECT_EQ(got.size(), want.size());
  size_t n = std::min(got.size(), want.size());
  size_t first_diff = std::mismatch(got.begin(), got.begin() + n, want.begin()).first - got.begin();
  EXPECT_EQ(first_diff, n) << "streams differ at byte " << first_diff << ": got \""
                           << got.substr(first_diff, 40) << "\"";
}

// One exchange: what the client sends and what the server answers.
struct Recorded {
  std::string pcap;  // where tcpdump recorded it, for the offline tests
  std::string request = "POST /upload HTTP/1.1\r\nContent-Length: 20000\r\n\r\n" + Pattern(20000, 1);
  std::string response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Pattern(300000, 2);
};

inline void ExpectTheExchange(const std::vector<Event>& ev, const Recorded& r, CloseReason reason) {
  ASSERT_GE(ev.size(), 3u);
  ASSERT_EQ(ev[0].kind, EventKind::kOpen);
  uint64_t conn = ev[0].conn;
  ExpectSameBytes(StreamOf(ev, conn, 0), r.request);
  ExpectSameBytes(StreamOf(ev, conn, 1), r.response);
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
  EXPECT_EQ(ev.back().arg, static_cast<uint8_t>(reason));
  EXPECT_EQ(ev.back().conn, conn);
}

}  // namespace testing
}  // namespace capture_shim

#endif  // TESTS_CAPTURE_SHIM_LIVE_SUPPORT_H_
