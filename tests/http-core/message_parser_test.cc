// One direction's parser adapter on its own: what it hands its owner, and the bounds it keeps.
#include "message_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace http_core {
namespace {

struct Emitted {
  std::string method, path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint64_t body_size;
  uint64_t exchange;
  int64_t start_ts, end_ts;
  bool incomplete;
  std::string error;
};

// Numbers messages and records them as the owner would emit them.
class Recorder : public MessageParser::Events {
 public:
  explicit Recorder(BodyBudget* budget) : budget_(budget) {}
  void OnMessageBegin(MessageParser& p) override { p.msg().exchange = ++begun; }
  int OnHeadersComplete(MessageParser& p) override { return p.is_request() ? 0 : framing; }
  void OnMessageComplete(MessageParser& p) override { Record(p); }
  void Record(MessageParser& p) {
    const Message& m = p.msg();
    Emitted e{m.method, std::string(m.Text(m.path)), {}, std::string(m.held.bytes()), m.body_size, m.exchange,
              m.start_ts, m.end_ts, m.incomplete, m.error ? m.error : ""};
    for (const Header& h : m.headers) {
      e.headers.emplace_back(std::string(m.Text(h.name)), std::string(m.Text(h.value)));
    }
    out.push_back(e);
    p.Finished();
  }
  uint64_t begun = 0;
  int framing = 0;
  std::vector<Emitted> out;
  BodyBudget* budget_;
};

struct Fixture {
  explicit Fixture(bool is_request, uint32_t max_body = 100, uint64_t budget_bytes = 1 << 20)
      : limits(max_body), budget(budget_bytes), events(&budget) {
    limits.max_header_bytes = 200;
    limits.max_header_count = 3;
    parser.Init(is_request, &limits, &budget, &pool, &events);
  }
  MessageParser::Step Feed(const std::string& s, int64_t ts = 1) {
    return parser.Execute(reinterpret_cast<const uint8_t*>(s.data()), s.size(), ts);
  }
  CoreLimits limits;
  BodyBudget budget;
  MessagePool pool;
  Recorder events;
  MessageParser parser;
};

TEST(MessageParser, PausesAfterEachMessageAndHandsItOverWhole) {
  Fixture f(true);
  const std::string two = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\n";
  auto step = f.Feed(two, 5);
  EXPECT_EQ(step.err, HPE_PAUSED);
  ASSERT_EQ(f.events.out.size(), 1u);
  EXPECT_EQ(f.events.out[0].method, "POST");
  EXPECT_EQ(f.events.out[0].body, "hi");
  EXPECT_EQ(f.events.out[0].exchange, 1u);
  EXPECT_EQ(f.events.out[0].start_ts, 5);
  EXPECT_EQ(f.events.out[0].end_ts, 5);
  EXPECT_FALSE(f.parser.in_message());
  f.parser.Resume();
  const std::string rest = two.substr(step.used);
  step = f.Feed(rest, 6);
  EXPECT_EQ(step.err, HPE_PAUSED);
  ASSERT_EQ(f.events.out.size(), 2u);
  EXPECT_EQ(f.events.out[1].path, "/b");
  EXPECT_EQ(f.events.out[1].exchange, 2u);
}

TEST(MessageParser, IdleDirectionHoldsNoMessageAndReusesTheOneGivenBack) {
  Fixture f(true);
  f.Feed("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(f.parser.in_message());
  EXPECT_EQ(f.pool.spare(), 1u);  // given back at Finished(): the direction holds none
  f.parser.Resume();
  f.Feed("GET /b HTTP/1.1\r\n", 2);
  EXPECT_TRUE(f.parser.in_message());
  EXPECT_EQ(f.pool.spare(), 0u);  // the next message took it
}

TEST(MessageParser, KeptAliveDirectionGivesItsLlhttpStateBackBetweenMessages) {
  Fixture f(false);
  f.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(f.pool.spare_work(), 0u);  // resumed by the owner, not yet
  f.parser.Resume();
  EXPECT_EQ(f.pool.spare_work(), 1u);  // the direction holds no llhttp state now
  EXPECT_FALSE(f.parser.in_message());
  f.Feed("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nn", 2);
  EXPECT_EQ(f.pool.spare_work(), 0u);
  const auto step = f.Feed("o!", 3);
  EXPECT_EQ(step.err, HPE_PAUSED);
  ASSERT_EQ(f.events.out.size(), 2u);
  EXPECT_EQ(f.events.out[1].body, "no!");
  EXPECT_EQ(f.events.out[1].exchange, 2u);
  EXPECT_EQ(f.events.out[1].start_ts, 2);
  EXPECT_EQ(f.events.out[1].end_ts, 3);
}

TEST(MessageParser, DirectionThatAnnouncedItsEndKeepsItsStateAndRefusesMore) {
  for (const char* first : {"GET /a HTTP/1.1\r\nConnection: close\r\n\r\n", "GET /a HTTP/1.0\r\n\r\n"}) {
    Fixture f(true);
    f.Feed(first);
    f.parser.Resume();
    EXPECT_EQ(f.pool.spare_work(), 0u) << first;
    EXPECT_EQ(f.Feed("GET /b HTTP/1.1\r\n\r\n", 2).err, HPE_CLOSED_CONNECTION) << first;
    EXPECT_EQ(f.events.out.size(), 1u) << first;
  }
}

TEST(MessagePool, KeepsAtMostMaxSpareMessages) {
  MessagePool pool;
  for (size_t i = 0; i < MessagePool::kMaxSpare + 5; ++i) pool.Give(std::make_unique<Message>());
  EXPECT_EQ(pool.spare(), MessagePool::kMaxSpare);
  auto m = pool.Take();
  EXPECT_NE(m, nullptr);
  EXPECT_EQ(pool.spare(), MessagePool::kMaxSpare - 1);
}

TEST(MessageParser, HeaderNamesAreLowerCasedAndFoldedValuesBecomeOneLine) {
  Fixture f(true);
  f.Feed("GET / HTTP/1.1\r\nX-Long: a\r\n  b \t\r\nACCEPT: */*\r\n\r\n");
  ASSERT_EQ(f.events.out.size(), 1u);
  const auto& h = f.events.out[0].headers;
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].first, "x-long");
  EXPECT_EQ(h[0].second, "a  b");  // CR LF as two spaces; llhttp drops the fold's own whitespace
  EXPECT_EQ(h[1].first, "accept");
}

TEST(MessageParser, HeaderBoundsStopTheParserWithAReason) {
  Fixture count(true);
  auto step = count.Feed("GET / HTTP/1.1\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\n\r\n");
  EXPECT_EQ(step.err, HPE_USER);
  EXPECT_STREQ(llhttp_get_error_reason(&count.parser.llhttp()), "more header lines than maxHeaderCount");
  Fixture bytes(true);
  step = bytes.Feed("GET / HTTP/1.1\r\nx: " + std::string(300, 'v') + "\r\n\r\n");
  EXPECT_EQ(step.err, HPE_USER);
  bytes.parser.SetError(step.err);
  EXPECT_STREQ(bytes.parser.msg().error, "HPE_USER: header section exceeds maxHeaderBytes");
}

TEST(MessageParser, BodyKeepsMaxBodySizeAndCountsEveryByte) {
  Fixture f(false, /*max_body=*/4);
  f.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
  ASSERT_EQ(f.events.out.size(), 1u);
  EXPECT_EQ(f.events.out[0].body, "0123");
  EXPECT_EQ(f.events.out[0].body_size, 10u);
  EXPECT_EQ(f.budget.used(), 0u);  // given back at Finished()
}

TEST(MessageParser, OwnerDecidesThatAResponseHasNoBody) {
  Fixture f(false);
  f.events.framing = 1;  // e.g. the answer to a HEAD request
  const auto step = f.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
  EXPECT_EQ(step.err, HPE_PAUSED);
  ASSERT_EQ(f.events.out.size(), 1u);
  EXPECT_EQ(f.events.out[0].body_size, 0u);
}

TEST(MessageParser, GapInsideAKnownLengthBodyKeepsTheFraming) {
  Fixture f(false);
  f.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_EQ(f.parser.FitGap(4), MessageParser::GapFit::kFeedPlaceholder);
  EXPECT_EQ(f.parser.Execute(MessageParser::Placeholder(), 1, 2).err, HPE_OK);
  const auto step = f.Feed("xyz", 3);
  EXPECT_EQ(step.err, HPE_PAUSED);
  ASSERT_EQ(f.events.out.size(), 1u);
  EXPECT_EQ(f.events.out[0].body, "abc");  // nothing after the hole is kept
  EXPECT_EQ(f.events.out[0].body_size, 6u);
  EXPECT_TRUE(f.events.out[0].incomplete);
}

TEST(MessageParser, GapInAChunkedBodyIsLeftToTheOwnerWithWhatItLeftOfTheChunk) {
  Fixture in_data(false);
  in_data.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
  EXPECT_EQ(in_data.parser.FitGap(2), MessageParser::GapFit::kChunked);
  EXPECT_EQ(in_data.parser.gap_chunk_remaining(), 1u);
  Fixture past_chunk(false);
  past_chunk.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
  EXPECT_EQ(past_chunk.parser.FitGap(4), MessageParser::GapFit::kChunked);
  EXPECT_EQ(past_chunk.parser.gap_chunk_remaining(), ~0ull);
  Fixture in_size(false);
  in_size.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n1");
  EXPECT_EQ(in_size.parser.FitGap(1), MessageParser::GapFit::kChunked);
  EXPECT_EQ(in_size.parser.gap_chunk_remaining(), ~0ull);
}

TEST(MessageParser, GapThatMayHideAMessageBoundaryIsLeftToTheOwner) {
  Fixture too_long(false);
  too_long.Feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na");
  EXPECT_EQ(too_long.parser.FitGap(5), MessageParser::GapFit::kCut);
}

TEST(MessageParser, CutMessageLeavesOutAHeaderLineStillArriving) {
  Fixture f(true);
  f.Feed("GET / HTTP/1.1\r\nHost: x\r\nX-Half: abc", 4);
  ASSERT_TRUE(f.parser.in_message());
  f.parser.PrepareCut(/*last_ts=*/9);
  f.events.Record(f.parser);
  ASSERT_EQ(f.events.out.size(), 1u);
  EXPECT_TRUE(f.events.out[0].incomplete);
  EXPECT_EQ(f.events.out[0].end_ts, 9);
  ASSERT_EQ(f.events.out[0].headers.size(), 1u);
  EXPECT_EQ(f.events.out[0].headers[0].first, "host");
}

}  // namespace
}  // namespace http_core
