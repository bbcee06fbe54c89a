// Pairing and numbering of one connection's exchanges, without a parser.
#include "exchange_queue.h"

#include <gtest/gtest.h>

namespace http_core {
namespace {

constexpr uint32_t kMax = 4;

// Numbers a request into *exchange; returns whether it was left unpaired.
bool Request(ExchangeQueue& q, int64_t ts, uint32_t max, uint64_t* exchange) {
  const ExchangeQueue::RequestStart r = q.BeginRequest(ts, max);
  *exchange = r.exchange;
  return r.unpaired;
}

TEST(ExchangeQueue, ResponsesAnswerRequestsOldestFirst) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  EXPECT_FALSE(Request(q, 10, kMax, &a));
  EXPECT_FALSE(Request(q, 20, kMax, &b));
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  const auto r = q.BeginResponse();
  EXPECT_EQ(r.exchange, 1u);
  EXPECT_EQ(r.request_start_ts, 10);
  EXPECT_EQ(r.pairing, ExchangeQueue::Pairing::kPaired);
  q.Answer(1, false);
  EXPECT_EQ(q.BeginResponse().exchange, 2u);
  EXPECT_EQ(q.last_answered(), 1u);
}

TEST(ExchangeQueue, InterimResponsesShareTheExchangeUntilTheFinalOneAnswers) {
  ExchangeQueue q;
  uint64_t a = 0;
  Request(q, 1, kMax, &a);
  EXPECT_EQ(q.BeginResponse().exchange, a);  // a 1xx: not answered
  EXPECT_EQ(q.BeginResponse().exchange, a);  // the final response
  q.Answer(a, false);
  EXPECT_EQ(q.size(), 0u);
}

TEST(ExchangeQueue, ResponseWithoutRequestIsAnOrphanWithANewNumber) {
  ExchangeQueue q;
  const auto r = q.BeginResponse();
  EXPECT_EQ(r.pairing, ExchangeQueue::Pairing::kOrphan);
  EXPECT_EQ(r.exchange, 1u);
  EXPECT_EQ(r.request_start_ts, -1);
  uint64_t next = 0;
  Request(q, 5, kMax, &next);
  EXPECT_EQ(next, 2u);
}

TEST(ExchangeQueue, BeyondMaxPendingRequestsAreUnpairedAndSoAreTheirAnswers) {
  ExchangeQueue q;
  uint64_t e = 0;
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Request(q, i, kMax, &e));
  const ExchangeQueue::RequestStart over = q.BeginRequest(4, kMax);
  EXPECT_TRUE(over.unpaired);
  EXPECT_TRUE(over.overflow);
  EXPECT_EQ(over.exchange, 5u);
  EXPECT_EQ(q.size(), 4u);
  // The oldest requests keep their place and are answered first, in order.
  for (uint64_t want = 1; want <= 4; ++want) {
    const auto r = q.BeginResponse();
    EXPECT_EQ(r.exchange, want);
    EXPECT_EQ(r.pairing, ExchangeQueue::Pairing::kPaired);
    // A request while an unpaired one is due is unpaired too, though there is room now.
    if (want == 2) {
      const ExchangeQueue::RequestStart later = q.BeginRequest(5, kMax);
      EXPECT_TRUE(later.unpaired);
      EXPECT_FALSE(later.overflow);
    }
    q.Answer(r.exchange, false);
  }
  EXPECT_EQ(q.unpaired_due(), 2u);
  for (int i = 0; i < 2; ++i) {
    const auto r = q.BeginResponse();
    EXPECT_EQ(r.pairing, ExchangeQueue::Pairing::kUnpaired);
    EXPECT_GT(r.exchange, 6u);  // a number of its own, never a request's
    EXPECT_EQ(r.request_start_ts, -1);
    EXPECT_EQ(q.RequestOf(r.exchange), nullptr);  // no method known: no HEAD framing
    q.Answer(r.exchange, true);
  }
  // Every unpaired answer is in: pairing resumes.
  EXPECT_FALSE(Request(q, 9, kMax, &e));
  EXPECT_EQ(q.BeginResponse().exchange, e);
}

TEST(ExchangeQueue, LostAnswersWhileUnpairedAnswersAreDueLosePairingForGood) {
  ExchangeQueue q;
  uint64_t e = 0;
  Request(q, 0, 1, &e);
  EXPECT_TRUE(Request(q, 1, 1, &e));
  q.Answer(q.BeginResponse().exchange, false);
  EXPECT_TRUE(q.LoseAnswers());
  EXPECT_TRUE(q.pairing_lost());
  const auto r = q.BeginResponse();
  q.Answer(r.exchange, true);
  EXPECT_EQ(r.pairing, ExchangeQueue::Pairing::kUnpaired);
  EXPECT_TRUE(Request(q, 2, 1, &e));
  EXPECT_EQ(q.BeginResponse().pairing, ExchangeQueue::Pairing::kUnpaired);
}

TEST(ExchangeQueue, LostAnswersWhileRequestsWaitAnswerNoneOfThem) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  Request(q, 0, kMax, &a);
  Request(q, 1, kMax, &b);
  EXPECT_TRUE(q.LoseAnswers());
  EXPECT_FALSE(q.LoseAnswers());  // turned off once
  EXPECT_EQ(q.size(), 0u);
  const auto r = q.BeginResponse();
  EXPECT_EQ(r.pairing, ExchangeQueue::Pairing::kUnpaired);
  EXPECT_GT(r.exchange, b);
  EXPECT_EQ(q.RequestOf(a), nullptr);
}

TEST(ExchangeQueue, LostAnswersWithNothingWaitingShiftNothing) {
  ExchangeQueue q;
  uint64_t a = 0;
  EXPECT_FALSE(q.LoseAnswers());
  Request(q, 0, kMax, &a);
  q.Answer(q.BeginResponse().exchange, false);
  EXPECT_FALSE(q.LoseAnswers());
  EXPECT_FALSE(q.pairing_lost());
  EXPECT_FALSE(Request(q, 1, kMax, &a));
  EXPECT_EQ(q.BeginResponse().pairing, ExchangeQueue::Pairing::kPaired);
}

TEST(ExchangeQueue, LostRequestsLeaveTheWaitingOnesTheirAnswersAndPairNothingAfter) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  Request(q, 0, kMax, &a);
  EXPECT_TRUE(q.LoseRequests());
  EXPECT_TRUE(Request(q, 1, kMax, &b));  // after the loss: unpaired
  const auto first = q.BeginResponse();
  EXPECT_EQ(first.pairing, ExchangeQueue::Pairing::kPaired);
  EXPECT_EQ(first.exchange, a);
  q.Answer(first.exchange, false);
  const auto next = q.BeginResponse();
  EXPECT_EQ(next.pairing, ExchangeQueue::Pairing::kUnpaired);
  EXPECT_NE(next.exchange, b);
}

TEST(ExchangeQueue, AbandonedUnpairedRequestIsNoLongerDue) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  Request(q, 0, 1, &a);
  EXPECT_TRUE(Request(q, 1, 1, &b));
  EXPECT_TRUE(q.Abandon(/*is_request=*/true, b, true));
  EXPECT_EQ(q.unpaired_due(), 0u);
  EXPECT_EQ(q.size(), 1u);
}

TEST(ExchangeQueue, AbandonedRequestGivesItsNumberBack) {
  ExchangeQueue q;
  uint64_t a = 0, b = 0;
  Request(q, 1, kMax, &a);
  EXPECT_TRUE(q.Abandon(/*is_request=*/true, a, false));
  EXPECT_EQ(q.size(), 0u);
  Request(q, 2, kMax, &b);
  EXPECT_EQ(b, a);
}

TEST(ExchangeQueue, AbandonedOrphanGivesItsNumberBackButAPairedResponseDoesNot) {
  ExchangeQueue q;
  const auto orphan = q.BeginResponse();
  EXPECT_TRUE(q.Abandon(/*is_request=*/false, orphan.exchange, false));
  uint64_t a = 0;
  Request(q, 1, kMax, &a);
  EXPECT_EQ(a, 1u);
  const auto paired = q.BeginResponse();
  EXPECT_FALSE(q.Abandon(/*is_request=*/false, paired.exchange, false));
  EXPECT_EQ(q.size(), 1u);  // the request still waits for its answer
}

TEST(ExchangeQueue, RequestDescriptionReachesItsResponse) {
  ExchangeQueue q;
  uint64_t a = 0;
  Request(q, 1, kMax, &a);
  q.DescribeRequest(a, 2);
  const PendingRequest* r = q.RequestOf(a);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->method, 2);
  EXPECT_EQ(q.RequestOf(a + 1), nullptr);
}

TEST(ExchangeQueue, RingWrapsAndGrowsKeepingOrder) {
  ExchangeQueue q;
  uint64_t e = 0, answered = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 1 + round % 7; ++i) Request(q, round, 256, &e);
    for (int i = 0; i < 1 + round % 5 && q.size() > 0; ++i) {
      const auto r = q.BeginResponse();
      EXPECT_EQ(r.exchange, answered + 1);
      q.Answer(r.exchange, false);
      answered = r.exchange;
    }
  }
  while (q.size() > 0) {
    const auto r = q.BeginResponse();
    EXPECT_EQ(r.exchange, answered + 1);
    q.Answer(r.exchange, false);
    answered = r.exchange;
  }
  EXPECT_EQ(answered, e);
}

}  // namespace
}  // namespace http_core
