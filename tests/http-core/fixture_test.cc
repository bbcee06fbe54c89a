// Runs the spec-like cases of fixtures/http-core/*.md (format: fixtures/http-core/README.md).
// Each case is one GoogleTest test, HttpCoreFixture.<file>/<n>_<title>; each checks the expected
// messages, then feeds the same input cut at every byte boundary (one cut at a time) and in
// single bytes, and requires the very same output each time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>

#include "decode_helpers.h"

namespace http_core::test {
namespace {

struct FixtureCase {
  std::string file;
  std::string title;
  int line = 0;
  EngineOptions options = TestOptions();
  std::string redact;
  std::vector<Step> steps;
  std::vector<boost::json::object> expect;
  std::vector<boost::json::object> expect_logs;
  boost::json::object expect_stats;
  bool skip_splits = false;
};

std::string Unescape(const std::string& s, std::string* error) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        if (i + 2 >= s.size() + 0 && i + 2 > s.size()) { *error = "bad \\x escape"; return out; }
        out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
        i += 2;
        break;
      }
      default: *error = std::string("unknown escape \\") + c; return out;
    }
  }
  return out;
}

int64_t ParseTs(std::istringstream& in) {
  std::string tok;
  if (in >> tok && tok.size() > 1 && tok[0] == '@') return std::strtoll(tok.c_str() + 1, nullptr, 10);
  return -1;
}

bool ParseFixtureFile(const std::string& path, const std::string& name, std::vector<FixtureCase>* out,
                      std::string* error) {
  std::ifstream in(path);
  if (!in) { *error = "cannot read " + path; return false; }
  std::string line;
  int line_no = 0;
  FixtureCase* cur = nullptr;
  enum { kNone, kData, kExpect } section = kNone;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto fail = [&](const std::string& why) {
      *error = path + ":" + std::to_string(line_no) + ": " + why;
      return false;
    };
    if (line.rfind("## ", 0) == 0) {
      out->emplace_back();
      cur = &out->back();
      cur->file = name;
      cur->title = line.substr(3);
      cur->line = line_no;
      section = kNone;
      continue;
    }
    if (cur == nullptr || line.rfind("```", 0) == 0) continue;
    if (line.rfind("options:", 0) == 0) {
      std::istringstream opts(line.substr(8));
      std::string kv;
      while (opts >> kv) {
        const size_t eq = kv.find('=');
        if (eq == std::string::npos) return fail("option without '=': " + kv);
        const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
        const uint64_t n = std::strtoull(value.c_str(), nullptr, 10);
        CoreLimits& lim = cur->options.limits;
        if (key == "maxBodySize") lim.max_body_size = static_cast<uint32_t>(n);
        else if (key == "maxBufferedBytes") cur->options.max_buffered_bytes = n;
        else if (key == "maxHeaderBytes") lim.max_header_bytes = static_cast<uint32_t>(n);
        else if (key == "maxPendingRequests") lim.max_pending_requests = static_cast<uint32_t>(n);
        else if (key == "maxStashBytes") lim.max_stash_bytes = static_cast<uint32_t>(n);
        else if (key == "redact") cur->redact = value;
        else if (key == "splits" && value == "off") cur->skip_splits = true;
        else return fail("unknown option " + key);
      }
      continue;
    }
    if (line.rfind("> ", 0) == 0) {
      std::istringstream ev(line.substr(2));
      std::string kind;
      ev >> kind;
      Step step;
      if (kind == "client" || kind == "server") {
        step.dir = kind == "client" ? Direction::kClientToServer : Direction::kServerToClient;
        step.ts = ParseTs(ev);
        section = kData;
      } else if (kind == "gap") {
        std::string dir;
        ev >> dir >> step.lost;
        if (dir != "client" && dir != "server") return fail("gap needs client|server");
        step.kind = Step::kGap;
        step.dir = dir == "client" ? Direction::kClientToServer : Direction::kServerToClient;
        step.ts = ParseTs(ev);
        section = kNone;
      } else if (kind == "close") {
        std::string reason;
        ev >> reason;
        step.kind = Step::kClose;
        if (!stream_format::ParseCloseReason(reason, &step.reason)) {
          return fail("unknown close reason " + reason);
        }
        step.ts = ParseTs(ev);
        section = kNone;
      } else {
        return fail("unknown event " + kind);
      }
      cur->steps.push_back(step);
      continue;
    }
    if (line.rfind("expect:", 0) == 0) {
      section = kExpect;
      continue;
    }
    if (line.rfind("stats:", 0) == 0 || line.rfind("log:", 0) == 0) {
      const bool is_stats = line[0] == 's';
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(line.substr(is_stats ? 6 : 4), ec);
      if (ec || !v.is_object()) return fail("stats:/log: needs a JSON object");
      if (is_stats) cur->expect_stats = v.as_object();
      else cur->expect_logs.push_back(v.as_object());
      section = kNone;
      continue;
    }
    if (section == kData) {
      if (line.empty()) continue;
      std::string err;
      cur->steps.back().bytes += Unescape(line, &err);
      if (!err.empty()) return fail(err);
    } else if (section == kExpect) {
      if (line.empty()) continue;
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) return fail("expected message is not a JSON object: " + line);
      cur->expect.push_back(v.as_object());
    }
  }
  return true;
}

bool JsonEqual(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  if (a.is_object() && b.is_object()) {
    const auto& oa = a.as_object();
    const auto& ob = b.as_object();
    if (oa.size() != ob.size()) return false;
    for (const auto& [k, v] : oa) {
      const auto* other = ob.if_contains(k);
      if (other == nullptr || !JsonEqual(v, *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const auto& xa = a.as_array();
    const auto& xb = b.as_array();
    if (xa.size() != xb.size()) return false;
    for (size_t i = 0; i < xa.size(); ++i) {
      if (!JsonEqual(xa[i], xb[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Every key of `expected` must match in `actual`; a null expected value means "absent".
void ExpectSubset(const boost::json::object& expected, const boost::json::object& actual,
                  const std::string& what) {
  for (const auto& [key, value] : expected) {
    const auto* got = actual.if_contains(key);
    if (value.is_null()) {
      EXPECT_EQ(got, nullptr) << what << ": field " << key << " must be absent in "
                              << boost::json::serialize(actual);
      continue;
    }
    if (got == nullptr) {
      ADD_FAILURE() << what << ": field " << key << " missing in " << boost::json::serialize(actual);
      continue;
    }
    EXPECT_TRUE(JsonEqual(value, *got))
        << what << ": field " << key << " is " << boost::json::serialize(*got) << ", expected "
        << boost::json::serialize(value);
  }
}

class FixtureTest : public ::testing::Test {
 public:
  explicit FixtureTest(FixtureCase c) : c_(std::move(c)) {}
  void TestBody() override {
    c_.options.redact_csv = c_.redact;
    const DecodeResult base = Decode(c_.steps, c_.options);
    ASSERT_EQ(base.messages.size(), c_.expect.size()) << "output:\n" << base.output;
    for (size_t i = 0; i < c_.expect.size(); ++i) {
      ExpectSubset(c_.expect[i], base.messages[i], "message " + std::to_string(i + 1));
    }
    ASSERT_EQ(base.logs.size(), c_.expect_logs.size()) << "output:\n" << base.output;
    for (size_t i = 0; i < c_.expect_logs.size(); ++i) {
      ExpectSubset(c_.expect_logs[i], base.logs[i], "log " + std::to_string(i + 1));
    }
    ExpectSubset(c_.expect_stats, base.stats, "stats");
    if (c_.skip_splits) return;
    for (size_t i = 0; i < c_.steps.size(); ++i) {
      if (c_.steps[i].kind != Step::kData) continue;
      for (size_t at = 1; at < c_.steps[i].bytes.size(); ++at) {
        const DecodeResult split = Decode(SplitData(c_.steps, i, at), c_.options);
        ASSERT_EQ(split.output, base.output) << "input step " << i << " cut at byte " << at;
      }
    }
    const DecodeResult bytes = Decode(SplitEveryByte(c_.steps), c_.options);
    ASSERT_EQ(bytes.output, base.output) << "input fed one byte per event";
  }

 private:
  FixtureCase c_;
};

std::string Slug(const std::string& title) {
  std::string s;
  for (char c : title) {
    if (std::isalnum(static_cast<unsigned char>(c))) s += c;
    else if (!s.empty() && s.back() != '_') s += '_';
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s;
}

}  // namespace
}  // namespace http_core::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  using http_core::test::FixtureCase;
  const std::string dir = HTTP_CORE_FIXTURE_DIR;
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 3 && n.substr(n.size() - 3) == ".md" && n != "README.md") files.push_back(n);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no fixture files in %s\n", dir.c_str());
    return 1;
  }
  for (const std::string& f : files) {
    std::vector<FixtureCase> cases;
    std::string error;
    if (!http_core::test::ParseFixtureFile(dir + "/" + f, f.substr(0, f.size() - 3), &cases, &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    int n = 0;
    for (FixtureCase& c : cases) {
      const std::string name = std::to_string(++n) + "_" + http_core::test::Slug(c.title);
      // Slugged: a '-' in a gtest filter starts the negative patterns, so ctest's filter for a
      // "not-http" case would select no test at all and pass.
      const std::string suite = "HttpCoreFixture." + http_core::test::Slug(c.file);
      const std::string path = dir + "/" + f;
      const int line = c.line;
      ::testing::RegisterTest(suite.c_str(), name.c_str(), nullptr, nullptr, path.c_str(), line,
                              [c]() -> ::testing::Test* { return new http_core::test::FixtureTest(c); });
    }
  }
  return RUN_ALL_TESTS();
}
