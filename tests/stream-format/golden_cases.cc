#include "golden_cases.h"

#include <arpa/inet.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace stream_format::testing {
namespace {

bool ParseInt(const std::string& text, bool is_signed, uint64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  if (is_signed && text[0] == '-') {
    const long long v = std::strtoll(text.c_str(), &end, 0);
    *out = static_cast<uint64_t>(v);
  } else {
    *out = std::strtoull(text.c_str(), &end, 0);
  }
  return errno == 0 && end != nullptr && *end == '\0';
}

// "192.168.1.7:80" or "[2001:db8::1]:443".
bool ParseAddress(const std::string& text, IpVersion* version, uint8_t addr[kAddressSize],
                  uint16_t* port) {
  std::string host, port_text;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find("]:");
    if (close == std::string::npos) return false;
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    *version = IpVersion::kV6;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    *version = IpVersion::kV4;
  }
  uint64_t p = 0;
  if (!ParseInt(port_text, false, &p) || p > 65535) return false;
  *port = static_cast<uint16_t>(p);
  for (size_t i = 0; i < kAddressSize; ++i) addr[i] = 0;
  return inet_pton(*version == IpVersion::kV6 ? AF_INET6 : AF_INET, host.c_str(), addr) == 1;
}

// The quoted BYTES of a data line, escapes resolved.
bool ParseQuoted(const std::string& line, std::string* out, std::string* why) {
  const size_t open = line.find('"');
  if (open == std::string::npos || line.back() != '"' || line.size() - open < 2) {
    *why = "data needs its bytes in double quotes";
    return false;
  }
  const std::string body = line.substr(open + 1, line.size() - open - 2);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out->push_back(body[i]);
      continue;
    }
    if (++i == body.size()) {
      *why = "a lone backslash ends the bytes";
      return false;
    }
    switch (body[i]) {
      case 'r': out->push_back('\r'); break;
      case 'n': out->push_back('\n'); break;
      case 't': out->push_back('\t'); break;
      case '\\': out->push_back('\\'); break;
      case '"': out->push_back('"'); break;
      case 'x':
        if (i + 2 >= body.size() || !std::isxdigit(static_cast<unsigned char>(body[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(body[i + 2]))) {
          *why = "\\x needs two hex digits";
          return false;
        }
        out->push_back(static_cast<char>(std::strtoul(body.substr(i + 1, 2).c_str(), nullptr, 16)));
        i += 2;
        break;
      default:
        *why = std::string("unknown escape \\") + body[i];
        return false;
    }
  }
  return true;
}

bool ParseDirection(const std::string& text, Direction* out) {
  if (text == "client-to-server") *out = Direction::kClientToServer;
  else if (text == "server-to-client") *out = Direction::kServerToClient;
  else return false;
  return true;
}

bool ParseEventLine(const std::string& line, GoldenEvent* ev, std::string* why) {
  std::istringstream in(line.substr(0, line.find('"')));
  std::string kind, word;
  in >> kind;
  std::map<std::string, std::string> fields;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) {
      if (word == "sampled") ev->sampled = true;
      else { *why = "unknown word " + word; return false; }
      continue;
    }
    fields[word.substr(0, eq)] = word.substr(eq + 1);
  }
  auto take = [&](const char* key, std::string* value) {
    auto it = fields.find(key);
    if (it == fields.end()) { *why = kind + " needs " + key + "="; return false; }
    *value = it->second;
    fields.erase(it);
    return true;
  };
  std::string v;
  uint64_t n = 0;
  if (!take("conn", &v) || !ParseInt(v, false, &ev->conn)) return *why += " (conn)", false;
  if (!take("ts", &v) || !ParseInt(v, true, &n)) return *why += " (ts)", false;
  ev->ts = static_cast<int64_t>(n);
  if (kind == "open") {
    ev->kind = EventKind::kOpen;
    IpVersion server_version;
    if (!take("client", &v) || !ParseAddress(v, &ev->version, ev->client_addr, &ev->client_port) ||
        !take("server", &v) ||
        !ParseAddress(v, &server_version, ev->server_addr, &ev->server_port) ||
        server_version != ev->version) {
      *why = "open needs client= and server= ADDR:PORT of one IP version";
      return false;
    }
  } else if (kind == "data" || kind == "gap") {
    ev->kind = kind == "data" ? EventKind::kData : EventKind::kGap;
    if (!take("dir", &v) || !ParseDirection(v, &ev->dir)) {
      *why = kind + " needs dir=client-to-server|server-to-client";
      return false;
    }
    if (kind == "data" && !ParseQuoted(line, &ev->data, why)) return false;
    if (kind == "gap" && (!take("lost", &v) || !ParseInt(v, false, &ev->lost))) {
      *why = "gap needs lost=N";
      return false;
    }
  } else if (kind == "close") {
    ev->kind = EventKind::kClose;
    if (!take("reason", &v) || !ParseCloseReason(v, &ev->reason)) {
      *why = "close needs reason=fin|rst|idle|evicted|shutdown";
      return false;
    }
  } else {
    *why = "unknown event " + kind;
    return false;
  }
  if (!fields.empty()) {
    *why = "unknown field " + fields.begin()->first;
    return false;
  }
  return true;
}

bool AppendHex(const std::string& line, std::vector<uint8_t>* out, std::string* why) {
  std::string digits;
  for (char c : line) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      *why = std::string("not a hex digit: ") + c;
      return false;
    }
    digits.push_back(c);
  }
  if (digits.size() % 2 != 0) {
    *why = "odd number of hex digits";
    return false;
  }
  for (size_t i = 0; i < digits.size(); i += 2) {
    out->push_back(static_cast<uint8_t>(std::strtoul(digits.substr(i, 2).c_str(), nullptr, 16)));
  }
  return true;
}

}  // namespace

uint8_t GoldenEvent::Arg() const {
  switch (kind) {
    case EventKind::kOpen: return sampled ? kOpenSampled : 0;
    case EventKind::kData:
    case EventKind::kGap: return static_cast<uint8_t>(dir);
    case EventKind::kClose: return static_cast<uint8_t>(reason);
  }
  return 0;
}

bool ParseGoldenCases(const std::string& path, std::vector<GoldenCase>* out, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  enum { kProse, kEvents, kHex, kOtherBlock } block = kProse;
  std::string line, why;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto fail = [&](const std::string& reason) {
      *error = path + ":" + std::to_string(line_no) + ": " + reason;
      return false;
    };
    if (line.rfind("```", 0) == 0) {
      if (block != kProse) {
        block = kProse;
      } else if (out->empty()) {
        block = kOtherBlock;
      } else {
        const std::string tag = line.substr(3);
        if (tag == "events") block = kEvents;
        else if (tag == "hex") block = kHex;
        else return fail("a case's blocks are ```events and ```hex");
      }
      continue;
    }
    if (block == kProse && line.rfind("## ", 0) == 0) {
      out->emplace_back();
      out->back().title = line.substr(3);
      out->back().line = line_no;
      continue;
    }
    if (block == kEvents && !line.empty()) {
      GoldenEvent ev;
      if (!ParseEventLine(line, &ev, &why)) return fail(why);
      out->back().events.push_back(std::move(ev));
    } else if (block == kHex && !AppendHex(line, &out->back().bytes, &why)) {
      return fail(why);
    }
  }
  for (const GoldenCase& c : *out) {
    if (c.events.empty() || c.bytes.empty()) {
      *error = path + ":" + std::to_string(c.line) + ": case without events or bytes: " + c.title;
      return false;
    }
  }
  if (out->empty()) {
    *error = "no cases in " + path;
    return false;
  }
  return true;
}

}  // namespace stream_format::testing
