// Runs the cases of tracker_cases.md: segments in, stream events out (see that file for the format).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "connection_tracker.h"
#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

struct Case {
  std::string title;
  std::vector<std::string> input;
  std::vector<std::string> expected;
};

std::vector<Case> LoadCases() {
  std::ifstream in(TRACKER_CASES_PATH);
  EXPECT_TRUE(in.good()) << TRACKER_CASES_PATH;
  std::vector<Case> cases;
  std::string line;
  int block = -1;  // -1 outside a code block; 0 input; 1 expected
  int blocks_seen = 0;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      cases.push_back({line.substr(3), {}, {}});
      blocks_seen = 0;
      continue;
    }
    if (cases.empty()) continue;
    if (line.rfind("```", 0) == 0) {
      if (block >= 0) {
        block = -1;
      } else {
        block = blocks_seen++;
      }
      continue;
    }
    if (block == 0 && !line.empty()) cases.back().input.push_back(line);
    if (block == 1 && !line.empty()) cases.back().expected.push_back(line);
  }
  return cases;
}

// Reads a double-quoted string with \r \n \" \\ escapes starting at `*pos` (at the quote).
std::string Quoted(const std::string& line, size_t* pos) {
  std::string out;
  size_t i = *pos + 1;
  for (; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      char e = line[++i];
      out += e == 'r' ? '\r' : e == 'n' ? '\n' : e;
    } else {
      out += line[i];
    }
  }
  *pos = i + 1;
  return out;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out;
}

uint8_t Flags(const std::string& text) {
  uint8_t f = 0;
  std::stringstream ss(text);
  std::string name;
  while (std::getline(ss, name, '|')) {
    if (name == "SYN") f |= kTcpSyn;
    else if (name == "ACK") f |= kTcpAck;
    else if (name == "PSH") f |= kTcpPsh;
    else if (name == "FIN") f |= kTcpFin;
    else if (name == "RST") f |= kTcpRst;
    else if (name != "-") ADD_FAILURE() << "unknown flag " << name;
  }
  return f;
}

// Per connection rank: its lines, consecutive data of one direction joined.
using Streams = std::map<int, std::vector<std::string>>;

void Add(Streams& streams, int rank, const std::string& kind, const std::string& rest) {
  std::vector<std::string>& lines = streams[rank];
  if (kind.rfind("data ", 0) == 0 && !lines.empty() && lines.back().rfind(kind, 0) == 0) {
    lines.back() += rest;
    return;
  }
  lines.push_back(kind + rest);
}

Streams ExpectedStreams(const Case& c) {
  Streams s;
  for (std::string line : c.expected) {
    int rank = 1;
    if (line[0] == '#') {
      size_t sp = line.find(' ');
      rank = std::stoi(line.substr(1, sp - 1));
      line = line.substr(sp + 1);
    }
    if (line.rfind("data ", 0) == 0) {
      size_t pos = line.find('"');
      std::string bytes = Quoted(line, &pos);
      Add(s, rank, line.substr(0, 7), Escape(bytes));
    } else {
      Add(s, rank, line, "");
    }
  }
  return s;
}

Streams RunCase(const Case& c) {
  TrackerConfig config;
  config.ports.Add(80);
  config.idle_timeout_us = 10'000'000;
  EventWriter writer;
  CaptureStats stats;
  ConnectionTracker tracker(config, &writer, &stats);
  int64_t t = 0;
  std::vector<std::string> payloads;  // keep payload bytes alive during the call
  for (const std::string& line : c.input) {
    std::stringstream ss(line);
    std::string who;
    ss >> who;
    if (who == "advance" || who == "shutdown") {
      int64_t at;
      ss >> at;
      t = at;
      if (who == "advance") tracker.Advance(at);
      else tracker.CloseAll(at);
      continue;
    }
    std::string flags;
    ss >> flags;
    TcpSegment seg;
    seg.ip_version = 4;
    uint32_t client_ip = 0x0100000a, server_ip = 0x0200000a;
    bool from_client = who[0] == 'c';
    uint16_t client_port = who.size() > 2 ? static_cast<uint16_t>(std::stoi(who.substr(2))) : 40000;
    std::memcpy(seg.src_addr, from_client ? &client_ip : &server_ip, 4);
    std::memcpy(seg.dst_addr, from_client ? &server_ip : &client_ip, 4);
    seg.src_port = from_client ? client_port : 80;
    seg.dst_port = from_client ? 80 : client_port;
    seg.flags = Flags(flags);
    seg.window = 65535;  // unscaled (no SYN carries the option): what the cases' peers advertise
    t += 1;
    uint32_t wire = UINT32_MAX;
    std::string payload;
    std::string rest;
    std::getline(ss, rest);
    for (size_t pos = 0; pos < rest.size();) {
      if (rest[pos] == ' ') {
        ++pos;
      } else if (rest[pos] == '"') {
        payload = Quoted(rest, &pos);
      } else {
        size_t end = rest.find(' ', pos);
        std::string kv = rest.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? rest.size() : end;
        std::string key = kv.substr(0, kv.find('='));
        uint64_t value = std::stoull(kv.substr(kv.find('=') + 1));
        if (key == "seq") seg.seq = static_cast<uint32_t>(value);
        else if (key == "ack") seg.ack = static_cast<uint32_t>(value);
        else if (key == "t") t = static_cast<int64_t>(value);
        else if (key == "wire") wire = static_cast<uint32_t>(value);
        else ADD_FAILURE() << "unknown field " << key << " in: " << line;
      }
    }
    payloads.push_back(payload);
    seg.payload = reinterpret_cast<const uint8_t*>(payloads.back().data());
    seg.payload_len = static_cast<uint32_t>(payload.size());
    seg.wire_len = wire == UINT32_MAX ? seg.payload_len : wire;
    tracker.OnSegment(seg, t);
    payloads.clear();
  }
  Streams s;
  std::map<uint64_t, int> rank;
  for (const Event& e : ParseEvents(writer.data(), writer.size())) {
    if (e.kind == EventKind::kOpen) {
      int r = static_cast<int>(rank.size()) + 1;
      rank[e.conn] = r;
      Add(s, r, "open " + std::to_string(e.ClientPort()), "");
      continue;
    }
    int r = rank.count(e.conn) ? rank[e.conn] : 0;
    std::string dir = e.arg == static_cast<uint8_t>(Direction::kClientToServer) ? "c" : "s";
    if (e.kind == EventKind::kData) Add(s, r, "data " + dir + " ", Escape(e.Text()));
    if (e.kind == EventKind::kGap) Add(s, r, "gap " + dir + " " + std::to_string(e.Gap()), "");
    if (e.kind == EventKind::kClose) {
      const bool known = e.arg <= static_cast<uint8_t>(stream_format::kLastCloseReason);
      Add(s, r, std::string("close ") + stream_format::kCloseReasonNames[known ? e.arg : 0], "");
    }
  }
  return s;
}

TEST(TrackerCases, EveryCaseInTheMarkdownFile) {
  std::vector<Case> cases = LoadCases();
  ASSERT_GE(cases.size(), 10u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.title);
    ASSERT_FALSE(c.input.empty());
    ASSERT_FALSE(c.expected.empty());
    EXPECT_EQ(RunCase(c), ExpectedStreams(c));
  }
}

}  // namespace
}  // namespace capture_shim
