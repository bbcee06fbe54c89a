// Pairing and numbering of one connection's exchanges, without a parser.
#include "exchange_queue.h"

#include <gtest/gtest.h>

namespace http_core {
namespace {

constexpr uint32_t kMax = 4;

TEST(ExchangeQueue, ResponsesAnswerRequestsOldestFirst) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  EXPECT_FALSE(q.BeginRequest(10, kMax, &a));
  EXPECT_FALSE(q.BeginRequest(20, kMax, &b));
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  const auto r = q.BeginResponse();
  EXPECT_EQ(r.exchange, 1u);
  EXPECT_EQ(r.request_start_ts, 10);
  EXPECT_FALSE(r.orphan);
  q.Answer(1);
  EXPECT_EQ(q.BeginResponse().exchange, 2u);
  EXPECT_EQ(q.last_answered(), 1u);
}

TEST(ExchangeQueue, InterimResponsesShareTheExchangeUntilTheFinalOneAnswers) {
  ExchangeQueue q;
  uint64_t a = 0;
  q.BeginRequest(1, kMax, &a);
  EXPECT_EQ(q.BeginResponse().exchange, a);  // a 1xx: not answered
  EXPECT_EQ(q.BeginResponse().exchange, a);  // the final response
  q.Answer(a);
  EXPECT_EQ(q.size(), 0u);
}

TEST(ExchangeQueue, ResponseWithoutRequestIsAnOrphanWithANewNumber) {
  ExchangeQueue q;
  const auto r = q.BeginResponse();
  EXPECT_TRUE(r.orphan);
  EXPECT_EQ(r.exchange, 1u);
  EXPECT_EQ(r.request_start_ts, -1);
  uint64_t next = 0;
  q.BeginRequest(5, kMax, &next);
  EXPECT_EQ(next, 2u);
}

TEST(ExchangeQueue, BeyondMaxPendingTheOldestRequestIsForgotten) {
  ExchangeQueue q;
  uint64_t e = 0;
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(q.BeginRequest(i, kMax, &e));
  EXPECT_TRUE(q.BeginRequest(4, kMax, &e));
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.BeginResponse().exchange, 2u);
}

TEST(ExchangeQueue, AbandonedRequestGivesItsNumberBack) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  q.BeginRequest(1, kMax, &a);
  EXPECT_TRUE(q.Abandon(/*is_request=*/true, a));
  EXPECT_EQ(q.size(), 0u);
  q.BeginRequest(2, kMax, &b);
  EXPECT_EQ(b, a);
}

TEST(ExchangeQueue, AbandonedOrphanGivesItsNumberBackButAPairedResponseDoesNot) {
  ExchangeQueue q;
  const auto orphan = q.BeginResponse();
  EXPECT_TRUE(q.Abandon(/*is_request=*/false, orphan.exchange));
  uint64_t a = 0;
  q.BeginRequest(1, kMax, &a);
  EXPECT_EQ(a, 1u);
  const auto paired = q.BeginResponse();
  EXPECT_FALSE(q.Abandon(/*is_request=*/false, paired.exchange));
  EXPECT_EQ(q.size(), 1u);  // the request still waits for its answer
}

TEST(ExchangeQueue, RequestDescriptionReachesItsResponse) {
  ExchangeQueue q;
  uint64_t a = 0;
  q.BeginRequest(1, kMax, &a);
  q.DescribeRequest(a, 2, "websocket");
  const PendingRequest* r = q.RequestOf(a);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->method, 2);
  EXPECT_EQ(r->upgrade, "websocket");
  EXPECT_EQ(q.RequestOf(a + 1), nullptr);
}

TEST(ExchangeQueue, RingWrapsAndGrowsKeepingOrder) {
  ExchangeQueue q;
  uint64_t e = 0, answered = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 1 + round % 7; ++i) q.BeginRequest(round, 256, &e);
    for (int i = 0; i < 1 + round % 5 && q.size() > 0; ++i) {
      const auto r = q.BeginResponse();
      EXPECT_EQ(r.exchange, answered + 1);
      q.Answer(r.exchange);
      answered = r.exchange;
    }
  }
  while (q.size() > 0) {
    const auto r = q.BeginResponse();
    EXPECT_EQ(r.exchange, answered + 1);
    q.Answer(r.exchange);
    answered = r.exchange;
  }
  EXPECT_EQ(answered, e);
}

}  // namespace
}  // namespace http_core
