// Pairing is never wrong: past the pending-request bound, requests that do not fit are emitted
// `unpaired`, and so are the responses that answer them; after bytes a direction lost or skipped
// (a gap, a budget cut), whatever may have lost messages is not paired. No response is attached to
// a request other than its own. Every server response echoes its request's path (header and body),
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

// Checks every paired response against its request and counts the unpaired messages; a response
// whose exchange no request has (an orphan: its request was not seen) is allowed `orphans` times.
Pairing CheckPairing(const DecodeResult& r, int orphans = 0) {
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
      EXPECT_GE(--orphans, 0) << "response paired with exchange " << exchange << " that no request has";
      --p.paired;
      continue;
    }
    const auto& headers = m.at("headers").as_object();
    // A message cut (a gap, the budget) ends without its unfinished lines and body: its X-Path is
    // checked when it got that far.
    if (m.contains("incomplete")) {
      if (headers.contains("x-path")) EXPECT_EQ(headers.at("x-path").as_string(), it->second) << exchange;
      continue;
    }
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

// ---- after lost or skipped bytes ----------------------------------------------------------------

// Answer's, with a body that ends with a line break: the status line after it begins a line.
std::string AnswerEndingInLineBreak(const std::string& path) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(path.size() + 2) + "\r\nX-Path: " + path +
         "\r\n\r\n" + path + "\r\n";
}

// A response whose header section outgrows SmallBudget(), so that the core cuts it (maxBufferedBytes):
// its body does not end with a line break, so the next status line follows it on the same line.
std::string OversizedAnswer(const std::string& path) {
  return "HTTP/1.1 200 OK\r\nX-Path: " + path + "\r\nX-Big: " + std::string(5000, 'b') +
         "\r\nContent-Length: " + std::to_string(path.size()) + "\r\n\r\n" + path;
}

// bytes as data steps of `piece` bytes (the budget is enforced between events).
void AddPieces(std::vector<Step>* steps, Direction dir, const std::string& bytes, size_t piece) {
  for (size_t at = 0; at < bytes.size(); at += piece) {
    steps->push_back(dir == Direction::kClientToServer ? Client(bytes.substr(at, piece))
                                                       : Server(bytes.substr(at, piece)));
  }
}

// Cuts the oversized header section only: a message's arena up to 2 KiB goes back to the pool with
// its capacity, which the budget counts, so a smaller budget would cut the messages after it too.
EngineOptions SmallBudget() {
  EngineOptions o = TestOptions();
  o.max_buffered_bytes = 4096;
  return o;
}

// The defect the hostile fuzz found at a 256-byte budget, with one cut: /p2's answer is cut in its headers, the
// resynchronisation after the cut runs over /p3's status line (glued to /p2's body) and finds
// /p4's, which used to be paired with /p3's request.
TEST(PairingAfterLoss, ResponseCutByTheBudgetWhileRequestsWaitPairsNothingAfterIt) {
  std::string requests, responses;
  for (int i = 1; i <= 6; ++i) {
    const std::string path = "/p" + std::to_string(i);
    requests += Get(path);
    responses += i == 2 ? OversizedAnswer(path) : i == 3 ? AnswerEndingInLineBreak(path) : Answer(path, false);
  }
  std::vector<Step> steps = {Client(requests)};
  AddPieces(&steps, Direction::kServerToClient, responses, 512);
  steps.push_back(CloseWith());
  auto r = Decode(steps, SmallBudget());
  EXPECT_EQ(r.stats["heldCuts"].as_int64(), 1);
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 2);  // /p1 and the cut /p2
  EXPECT_EQ(p.unpaired_responses, 3);  // /p4../p6; /p3 went with the skipped bytes
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 1);
}

// One request at a time: when the budget cuts a response, nothing else waits, so nothing can be
// answered out of turn, and the later exchanges keep their pairing.
TEST(PairingAfterLoss, ResponseCutWithNothingElseWaitingKeepsThePairingOfLaterExchanges) {
  std::vector<Step> steps;
  for (int i = 1; i <= 5; ++i) {
    const std::string path = "/p" + std::to_string(i);
    steps.push_back(Client(Get(path)));
    AddPieces(&steps, Direction::kServerToClient, i == 2 ? OversizedAnswer(path) + "\r\n" : Answer(path, false), 512);
  }
  steps.push_back(CloseWith());
  auto r = Decode(steps, SmallBudget());
  EXPECT_EQ(r.stats["heldCuts"].as_int64(), 1);
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 5);
  EXPECT_EQ(p.unpaired_responses, 0);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 0);
}

// A gap that takes /p2's whole answer while /p2../p4 wait: /p3's answer used to be paired with /p2.
TEST(PairingAfterLoss, GapSwallowingAWholeResponsePairsNothingAfterIt) {
  std::string requests;
  for (int i = 1; i <= 4; ++i) requests += Get("/p" + std::to_string(i));
  auto r = Decode({Client(requests), Server(Answer("/p1", false)),
                   GapOf(Direction::kServerToClient, Answer("/p2", false).size()),
                   Server(Answer("/p3", false) + Answer("/p4", false)), CloseWith()});
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 1);
  EXPECT_EQ(p.unpaired_responses, 2);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 1);
}

// A gap that takes the pipelined request /p2: its answer used to be paired with /p3. The requests
// that waited before the gap keep their answers; none after it is paired.
TEST(PairingAfterLoss, GapSwallowingAWholeRequestPairsNothingAfterIt) {
  auto r = Decode({Client(Get("/p1")), GapOf(Direction::kClientToServer, Get("/p2").size()),
                   Client(Get("/p3") + Get("/p4")),
                   Server(Answer("/p1", false) + Answer("/p2", false) + Answer("/p3", false) +
                          Answer("/p4", false)),
                   CloseWith()});
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 1);
  EXPECT_EQ(p.unpaired_requests, 2);
  EXPECT_EQ(p.unpaired_responses, 3);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 1);
}

// A HEAD whose header section the budget cuts: its answer is still framed as a HEAD's (no body).
// Read as if it had one, Content-Length would take /p1's answer and /p2's would be paired with /p1.
TEST(PairingAfterLoss, RequestCutBeforeItsHeadersEndedStillFramesItsHeadAnswer) {
  const std::string head = "HEAD /h HTTP/1.1\r\nX-Big: " + std::string(5000, 'b') + "\r\n\r\n";
  const std::string p1 = Answer("/p1", false);
  const std::string head_answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(p1.size()) +
                                  "\r\nX-Path: /h\r\n\r\n";
  std::vector<Step> steps;
  AddPieces(&steps, Direction::kClientToServer, head + Get("/p1") + Get("/p2"), 512);
  steps.push_back(Server(head_answer + p1 + Answer("/p2", false)));
  steps.push_back(CloseWith());
  auto r = Decode(steps, SmallBudget());
  EXPECT_EQ(r.stats["heldCuts"].as_int64(), 1);
  const Pairing p = CheckPairing(r);
  EXPECT_EQ(p.paired, 3);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 0);
}

// /b's request is held behind a hole in the request stream (the capture delivers it after its
// answer, with the time it was captured): its answer finds no request waiting (an orphan), and /b
// used to take /c's answer. A request captured before an orphan answer may be the one it answered.
TEST(PairingAfterLoss, RequestDelayedPastItsAnswerTakesNoLaterAnswer) {
  auto r = Decode({Client(Get("/a"), 1), Server(Answer("/a", false), 2), Server(Answer("/b", false), 4),
                   Client(Get("/b"), 3), Client(Get("/c"), 5), Server(Answer("/c", false), 6), CloseWith()});
  const Pairing p = CheckPairing(r, /*orphans=*/1);
  EXPECT_EQ(p.paired, 1);
  EXPECT_EQ(p.unpaired_requests, 2);
  EXPECT_EQ(p.unpaired_responses, 1);
  EXPECT_EQ(r.stats["orphanResponses"].as_int64(), 1);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 1);
}

// Picked up mid-stream: the first answer's request was never seen; requests captured after it pair.
TEST(PairingAfterLoss, OrphanAnswerAtPickupKeepsThePairingOfLaterRequests) {
  auto r = Decode({Server(Answer("/before", false), 1), Client(Get("/a"), 2), Server(Answer("/a", false), 3),
                   CloseWith()});
  const Pairing p = CheckPairing(r, /*orphans=*/1);
  EXPECT_EQ(p.paired, 1);
  EXPECT_EQ(r.stats["orphanResponses"].as_int64(), 1);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 0);
}

}  // namespace
}  // namespace http_core::test
