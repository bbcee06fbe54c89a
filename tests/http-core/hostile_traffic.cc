#include "hostile_traffic.h"

#include <boost/json.hpp>

#include <map>
#include <string_view>

namespace http_core::fuzz {
namespace {

using stream_format::CloseReason;
using stream_format::Direction;

// Header section shapes a client can send (some llhttp or the core's bounds reject: the request is
// cut with an error and what follows is resynchronised).
std::string HostileHeaders(Choices& ch, bool* endless) {
  std::string h;
  switch (ch.Below(8)) {
    case 0: {  // thousands of header lines, distinct or one name repeated
      const uint32_t n = 100 + ch.Below(1900);
      const bool distinct = ch.Coin();
      for (uint32_t k = 0; k < n; ++k) h += (distinct ? "h" + std::to_string(k) : std::string("x-many")) + ": v\r\n";
      break;
    }
    case 1:  // a header line that never ends
      h += "X-Long: " + std::string(1000 + ch.Below(80000), 'a');
      *endless = true;
      return h;
    case 2: {  // one name in many cases, and Set-Cookie repeated
      static const char* const kNames[] = {"X-Dup", "x-dup", "X-DUP", "x-DuP", "Set-Cookie", "set-COOKIE"};
      const uint32_t n = 1 + ch.Below(300);
      for (uint32_t k = 0; k < n; ++k) h += std::string(kNames[ch.Below(6)]) + ": " + std::to_string(k) + "\r\n";
      break;
    }
    case 3:  // obs-fold
      h += "X-Fold: a\r\n \tb\r\n";
      break;
    case 4:  // NULs in a value, a name, or the target
      h += ch.Coin() ? std::string("X-Nul: a\0b\r\n", 12) : std::string("X-\0: a\r\n", 8);
      break;
    case 5:
      h += "Authorization: Bearer secret\r\nCookie: a=b\r\n";
      break;
    default:
      h += "Host: a\r\nAccept: */*\r\n";
  }
  return h;
}

std::string Response(Choices& ch, const std::string& path, bool head, bool truncate, bool* framed) {
  std::string r = "HTTP/1.1 200 OK\r\nX-Path: " + path + "\r\n";
  if (head) return r + "Content-Length: " + std::to_string(1 + ch.Below(5000)) + "\r\n\r\n";
  switch (ch.Below(truncate ? 3 : 2)) {
    case 0:
      return r + "Content-Length: " + std::to_string(path.size()) + "\r\n\r\n" + path;
    case 1: {  // chunked, one chunk per byte or two
      r += "Transfer-Encoding: chunked\r\n\r\n";
      for (size_t k = 0; k < path.size(); k += 2) {
        const std::string piece = path.substr(k, 2);
        r += std::to_string(piece.size()) + "\r\n" + piece + "\r\n";
      }
      return r + "0\r\n\r\n";
    }
    default:  // a body shorter than announced: it eats what follows
      *framed = false;
      return r + "Content-Length: " + std::to_string(path.size() + 1 + ch.Below(3000)) + "\r\n\r\n" + path;
  }
}

// Cuts a stream into data events, with gaps (the lost bytes are left out) now and then.
void AddEvents(Choices& ch, BatchWriter& w, Direction dir, const std::string& bytes, bool gaps,
               int64_t* ts) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Choices past the input's end are 0: large events then, so short inputs stay cheap.
    const size_t n = ch.Coin() ? 1 + ch.Below(16) : 8192 - ch.Below(8192);
    const size_t take = n < bytes.size() - pos ? n : bytes.size() - pos;
    if (gaps && ch.Below(16) == 0) {
      w.Gap(1, dir, take, (*ts)++);
    } else {
      w.Data(1, dir, std::string_view(bytes).substr(pos, take), (*ts)++);
    }
    pos += take;
  }
}

}  // namespace

uint32_t Choices::Below(uint32_t n) {
  if (n <= 1) return 0;
  uint32_t v = 0;
  for (int k = 0; k < 4 && (n - 1) >> (8 * k); ++k) v = v << 8 | (pos_ < size_ ? data_[pos_++] : 0);
  return v % n;
}

HostileCase MakeHostileCase(Choices& ch) {
  HostileCase c;
  std::string client, server;
  // Now and then more pipelined requests than the pending bound (256).
  const uint32_t exchanges = ch.Below(8) == 7 ? 250 + ch.Below(40) : 1 + ch.Below(12);
  // Gaps, bodies shorter than announced and answers racing ahead of requests are each chosen once
  // per case, so that cases whose answers are all framed (checked exactly) stay frequent.
  const bool gaps = ch.Below(3) == 0, truncate = ch.Below(3) == 0, responses_first = ch.Below(4) == 0;
  for (uint32_t i = 0; i < exchanges; ++i) {
    const std::string path = "/p" + std::to_string(i);
    const bool head = ch.Below(4) == 0;
    bool endless = false;
    client += std::string(head ? "HEAD " : "GET ") + path + " HTTP/1.1\r\n";
    client += exchanges > 12 ? std::string("Host: a\r\n") : HostileHeaders(ch, &endless);
    if (endless) break;
    client += "\r\n";
    server += Response(ch, path, head, truncate, &c.answers_framed);
  }
  const uint8_t ip[4] = {10, 0, 0, 1};
  BatchWriter w;
  int64_t ts = 1;
  w.Open(1, ip, 1234, ip, 80, ts);
  if (!responses_first) {
    AddEvents(ch, w, Direction::kClientToServer, client, gaps, &ts);
    AddEvents(ch, w, Direction::kServerToClient, server, gaps, &ts);
  } else {  // responses before requests are orphans
    AddEvents(ch, w, Direction::kServerToClient, server, gaps, &ts);
    AddEvents(ch, w, Direction::kClientToServer, client, gaps, &ts);
  }
  w.Close(1, static_cast<CloseReason>(ch.Below(5)), ts);
  c.batch = w.bytes();
  return c;
}

std::string CheckHostileOutput(const std::string& output, bool answers_framed) {
  struct Request {
    std::string path;
    bool unpaired;
  };
  std::map<int64_t, Request> requests;
  std::map<int64_t, int> finals;
  std::vector<boost::json::object> responses;
  size_t pos = 0;
  while (pos < output.size()) {
    const size_t nl = output.find('\n', pos);
    if (nl == std::string::npos) return "a line without its newline";
    const std::string_view line(output.data() + pos, nl - pos);
    pos = nl + 1;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) return "not a JSON object: " + std::string(line.substr(0, 200));
    const boost::json::object& m = v.as_object();
    if (!m.contains("exchange") || !m.contains("direction")) return "a message without exchange";
    const bool unpaired = m.contains("unpaired");
    if (m.at("direction").as_string() == "request") {
      requests[m.at("exchange").as_int64()] = Request{std::string(m.at("path").as_string()), unpaired};
    } else {
      responses.push_back(m);
    }
  }
  for (const auto& m : responses) {
    const int64_t exchange = m.at("exchange").as_int64();
    const bool unpaired = m.contains("unpaired");
    const auto it = requests.find(exchange);
    if (unpaired && it != requests.end()) return "an unpaired response carries a request's exchange";
    if (unpaired || it == requests.end()) continue;
    if (it->second.unpaired) return "a response paired with an unpaired request";
    if (m.at("statusCode").as_int64() >= 200 && ++finals[exchange] > 1) return "two final responses for one exchange";
    if (!answers_framed) continue;
    // A message cut (a gap, the budget, an error) ends without its unfinished lines: its X-Path is
    // checked when it got that far.
    const bool cut = m.contains("incomplete");
    const auto& headers = m.at("headers").as_object();
    if (!headers.contains("x-path")) {
      if (cut) continue;
      return "response " + std::to_string(exchange) + " without its x-path";
    }
    if (headers.at("x-path").as_string() != it->second.path) {
      return "response " + std::to_string(exchange) + " paired with the wrong request";
    }
  }
  return "";
}

}  // namespace http_core::fuzz
