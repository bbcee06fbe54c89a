#include "decode_helpers.h"

#include <gtest/gtest.h>

namespace http_core::test {

Step Client(std::string bytes, int64_t ts) {
  Step s;
  s.dir = Direction::kClientToServer;
  s.bytes = std::move(bytes);
  s.ts = ts;
  return s;
}

Step Server(std::string bytes, int64_t ts) {
  Step s = Client(std::move(bytes), ts);
  s.dir = Direction::kServerToClient;
  return s;
}

Step GapOf(Direction dir, uint64_t lost, int64_t ts) {
  Step s;
  s.kind = Step::kGap;
  s.dir = dir;
  s.lost = lost;
  s.ts = ts;
  return s;
}

Step CloseWith(CloseReason reason, int64_t ts) {
  Step s;
  s.kind = Step::kClose;
  s.reason = reason;
  s.ts = ts;
  return s;
}

namespace {

// Each line of `text` a JSON object, appended to `into`.
void ParseLines(std::string_view text, std::vector<boost::json::object>* into) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    ASSERT_NE(nl, std::string::npos) << "output line without its newline";
    const std::string_view line(text.data() + pos, nl - pos);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object()) << line;
    into->push_back(v.as_object());
    pos = nl + 1;
  }
}

}  // namespace

void ParseOutput(const Engine& engine, DecodeResult* result) {
  const std::string_view messages = engine.output().view(), records = engine.records().view();
  result->output = "messages:\n" + std::string(messages) + "records:\n" + std::string(records);
  const size_t before = result->messages.size();
  ParseLines(messages, &result->messages);
  EXPECT_EQ(result->messages.size() - before, engine.output_messages()) << "message count";
  ParseLines(records, &result->logs);
}

EngineOptions TestOptions() {
  return EngineOptions(/*max_body_size=*/65536, /*max_buffered_bytes=*/64 << 20);
}

DecodeResult Decode(const std::vector<Step>& steps, const EngineOptions& options) {
  Engine engine(options);
  BatchWriter w;
  const uint8_t client_ip[4] = {10, 0, 0, 1}, server_ip[4] = {10, 0, 0, 2};
  w.Open(1, client_ip, 40000, server_ip, 80, steps.empty() ? -1 : steps.front().ts);
  for (const Step& s : steps) {
    switch (s.kind) {
      case Step::kData: w.Data(1, s.dir, s.bytes, s.ts); break;
      case Step::kGap: w.Gap(1, s.dir, s.lost, s.ts); break;
      case Step::kClose: w.Close(1, s.reason, s.ts); break;
    }
    EXPECT_EQ(engine.Feed(w.bytes().data(), w.bytes().size()), 0);
    w.Clear();
  }
  engine.Finish();
  DecodeResult result;
  ParseOutput(engine, &result);
  result.stats = boost::json::parse(engine.StatsJson()).as_object();
  EXPECT_EQ(engine.buffered_body_bytes(), 0u) << "body bytes still accounted after every close";
  return result;
}

std::vector<Step> SplitData(const std::vector<Step>& steps, size_t step_index, size_t at) {
  std::vector<Step> out;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (i != step_index || s.kind != Step::kData || at == 0 || at >= s.bytes.size()) {
      out.push_back(s);
      continue;
    }
    Step a = s, b = s;
    a.bytes = s.bytes.substr(0, at);
    b.bytes = s.bytes.substr(at);
    out.push_back(std::move(a));
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<Step> SplitEveryByte(const std::vector<Step>& steps) {
  std::vector<Step> out;
  for (const Step& s : steps) {
    if (s.kind != Step::kData) {
      out.push_back(s);
      continue;
    }
    for (char c : s.bytes) {
      Step one = s;
      one.bytes.assign(1, c);
      out.push_back(std::move(one));
    }
  }
  return out;
}

}  // namespace http_core::test
