// Pipelining past the pending-request bound: pairing is never wrong. Requests that do not fit are
// emitted `unpaired`, and so are the responses that answer them; no response is attached to a
// request other than its own. Every server response echoes its request's path (header and body),
// so a wrong pairing shows.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "decode_helpers.h"

namespace http_core::test {
namespace {

struct Pairing {
  int paired = 0;
  int unpaired_requests = 0;
  int unpaired_responses = 0;
};

bool Unpaired(const boost::json::object& m) {
  return m.contains("unpaired") && m.at("unpaired").as_bool();
}

// Checks every paired response against its request and counts the unpaired messages.
Pairing CheckPairing(const DecodeResult& r) {
  Pairing p;
  std::map<int64_t, std::string> paths;        // exchange -> path of a paired request
  std::map<int64_t, std::string> unpaired;     // exchange -> path of an unpaired request
  std::map<int64_t, int> answered;
  for (const auto& m : r.messages) {
    const int64_t exchange = m.at("exchange").as_int64();
    if (m.at("direction").as_string() == "request") {
      const std::string path(m.at("path").as_string());
      EXPECT_EQ(paths.count(exchange) + unpaired.count(exchange), 0u) << "exchange reused " << exchange;
      if (Unpaired(m)) {
        ++p.unpaired_requests;
        unpaired[exchange] = path;
      } else {
        paths[exchange] = path;
      }
      continue;
    }
    if (Unpaired(m)) {
      ++p.unpaired_responses;
      EXPECT_EQ(paths.count(exchange) + unpaired.count(exchange), 0u)
          << "an unpaired response carries a request's exchange " << exchange;
      continue;
    }
    ++p.paired;
    EXPECT_EQ(++answered[exchange], 1) << "two responses paired with exchange " << exchange;
    auto it = paths.find(exchange);
    if (it == paths.end()) {
      ADD_FAILURE() << "response paired with exchange " << exchange << " that no request has";
      continue;
    }
    const auto& headers = m.at("headers").as_object();
    EXPECT_EQ(headers.at("x-path").as_string(), it->second) << "exchange " << exchange;
    if (m.contains("body")) EXPECT_EQ(m.at("body").as_string(), it->second) << "exchange " << exchange;
  }
  return p;
}

std::string Get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n"; }

// A response echoing path in X-Path and as its body (none for HEAD, whose Content-Length still
// announces one).
std::string Answer(const std::string& path, bool head) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(head ? 1000 : path.size()) +
         "\r\nX-Path: " + path + "\r\n\r\n" + (head ? "" : path);
}

TEST(PairingBound, HeadThen300PipelinedGetsNeverMispair) {
  std::string requests = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", responses = Answer("/", true);
  for (int i = 1; i <= 300; ++i) {
    requests += Get("/p" + std::to_string(i));
    responses += Answer("/p" + std::to_string(i), false);
  }
  auto r = Decode({Client(requests), Server(responses), CloseWith()});
  ASSERT_EQ(r.messages.size(), 602u);
  const Pairing p = CheckPairing(r);
  // 256 requests wait (the HEAD and /p1../p255); /p256../p300 do not fit, nor do their answers.
  EXPECT_EQ(p.paired, 256);
  EXPECT_EQ(p.unpaired_requests, 45);
  EXPECT_EQ(p.unpaired_responses, 45);
  EXPECT_EQ(r.stats["unpairedRequests"].as_int64(), 45);
  EXPECT_EQ(r.stats["unpairedResponses"].as_int64(), 45);
  EXPECT_EQ(r.stats["pendingOverflows"].as_int64(), 45);
  // Responses to unpaired requests are still read whole: nothing is eaten or cut.
  for (const auto& m : r.messages) EXPECT_FALSE(m.contains("incomplete")) << m;
}

// A HEAD that does not fit: its answer is read without knowing the method (as if it had a body)
// and takes the following responses' bytes; none of them is paired with anything.
TEST(PairingBound, DroppedHeadIsReadWithoutHeadKnowledgeAndNothingMispairs) {
  std::string requests, responses;
  for (int i = 1; i <= 300; ++i) {
    requests += Get("/p" + std::to_string(i));
    responses += Answer("/p" + std::to_string(i), false);
  }
  requests += "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n";
  responses += Answer("/h", true);
  for (int i = 301; i <= 305; ++i) {
    requests += Get("/p" + std::to_string(i));
    responses += Answer("/p" + std::to_string(i), false);
  }
  // Then the client waits for everything and sends one more request, answered.
  auto r = Decode({Client(requests), Server(responses), Client(Get("/late")), Server(Answer("/late", false)),
                   CloseWith()});
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 256);
  EXPECT_EQ(p.unpaired_requests, 300 + 6 - 256 + 1);  // /late too: the count of answers is lost
  EXPECT_GE(p.unpaired_responses, 45);
}

// After the unpaired answers are all read, new requests pair again.
TEST(PairingBound, PairingResumesOnceTheUnpairedAnswersAreIn) {
  std::string requests, responses;
  for (int i = 1; i <= 260; ++i) {
    requests += Get("/p" + std::to_string(i));
    responses += Answer("/p" + std::to_string(i), false);
  }
  auto r = Decode({Client(requests), Server(responses), Client(Get("/next")), Server(Answer("/next", false)),
                   CloseWith()});
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 257);
  EXPECT_EQ(p.unpaired_requests, 4);
  EXPECT_EQ(p.unpaired_responses, 4);
  EXPECT_EQ(r.messages.back()["headers"].as_object()["x-path"].as_string(), "/next");
  EXPECT_FALSE(Unpaired(r.messages.back()));
}

}  // namespace
}  // namespace http_core::test
