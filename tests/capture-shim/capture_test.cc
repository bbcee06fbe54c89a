// The capture over real libpcap: files written by tcpdump from real loopback traffic (and converted
// to pcapng by editcap), a file cut partway, files that are not captures, and the errors of opening
// a live capture. Live capture itself: live_capture_test.cc.
#include "capture.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "live_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;
using namespace std::chrono_literals;

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
  // SIGINT ends tcpdump at once, losing what it has not written yet; on a loaded machine it can lag
  // the traffic by seconds. Wait until the file (written per packet, -U) stops growing.
  size_t size = 0;
  for (int stable = 0, i = 0; stable < 5 && i < 300; ++i) {
    std::this_thread::sleep_for(100ms);
    size_t now = ReadFile(path).size();
    stable = now == size ? stable + 1 : 0;
    size = now;
  }
  kill(pid, SIGINT);
  int status;
  waitpid(pid, &status, 0);
  unlink(err.c_str());
}

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
  CaptureOptions o = TestOptions();
  o.file = path;
  o.batch_bytes = batch_bytes;
  std::unique_ptr<Capture> cap = Capture::Open(o, open_status);
  if (!cap) return;
  cap->Start(out);
  ASSERT_TRUE(out->WaitEnd(30s));
  cap->Join();
}

// Reads `path` and expects the recorded exchange back, byte for byte, ended by FIN.
void ExpectTheFileGivesTheExchange(const std::string& path, const Recorded& r) {
  Collector out;
  CaptureStatus st;
  ReadFileCapture(path, &out, &st);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_TRUE(out.status().ok()) << out.status().message;
  ExpectTheExchange(out.Events(), r, CloseReason::kFin);
}

TEST(OfflineCapture, APcapFromTcpdumpGivesBackBothStreamsExactly) {
  const Recorded& r = Recording();
  ExpectTheFileGivesTheExchange(r.pcap, r);
}

// The file is read through a 1 MiB buffer (capture.cc): a file of several, with a packet across each
// refill, gives back the same bytes.
TEST(OfflineCapture, AFileLargerThanTheReadBufferGivesBackBothStreamsExactly) {
  Recorded r;
  r.response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Pattern(5'000'000, 3);
  r.pcap = TempPath("large.pcap");
  RecordWithTcpdump(r.pcap, r.request, r.response);
  ASSERT_GT(ReadFile(r.pcap).size(), size_t{4} << 20);
  ExpectTheFileGivesTheExchange(r.pcap, r);
  unlink(r.pcap.c_str());
}

TEST(OfflineCapture, PcapngFromEditcapGivesTheSameStreams) {
  const Recorded& r = Recording();
  std::string ng = TempPath("exchange.pcapng");
  ASSERT_EQ(RunTool({"editcap", "-F", "pcapng", r.pcap, ng}, "/dev/null"), 0);
  ExpectTheFileGivesTheExchange(ng, r);
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
  CaptureOptions o = TestOptions();
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
  CaptureOptions o = TestOptions();
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
    CaptureOptions o = TestOptions();
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

}  // namespace
}  // namespace capture_shim
