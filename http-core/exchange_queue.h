// ExchangeQueue: pairing of one connection's requests and responses, and exchange numbering.
//
// Contract:
// - A request takes the next exchange number when its first byte is parsed and waits in the queue;
//   a response takes the oldest waiting request's number (1xx responses share it: only a final
//   response, through Answer, takes the request off the queue). A response with no request waiting
//   and none due takes a new number (an orphan).
// - Pairing is never guessed. At most max_pending requests wait; a request beyond that is
//   unpaired: it keeps its number, no response will carry it, and it is only counted as due. Every
//   request after it is unpaired too until all unpaired requests are answered, so the queue always
//   holds the oldest requests and responses (which come in request order) answer them first. A
//   response that comes while unpaired requests are due and none waits is unpaired: a new number,
//   and its framing cannot use the request's method (a HEAD's answer is read as if it had a body).
// - Lost answers (LoseAnswers: the response stream lost bytes, dropped a message start, passed
//   over bytes that may hold one, or failed to parse, while requests waited or answers were due):
//   which requests they answered is unknown, so no waiting request is answered any more and every
//   later request and response of the connection is unpaired. Answers lost while nothing waits
//   shift nothing. Lost requests (LoseRequests: the same in the request stream): the requests
//   waiting still get their answers (those come first), every later request and every response
//   after those answers is unpaired. Pairing is not taken up again: no later point proves how
//   many answers are still due.
// - A message that never got past its start line gives its number back (Abandon).
// - Storage is a ring that holds nothing until the first request and is given back whenever the
//   queue empties after having grown, so an idle keep-alive connection keeps at most a few entries.
//   Memory is bounded by max_pending entries. The Upgrade value a request that asks for an upgrade
//   offers is kept by UpgradeHold, where the engine's budget counts it (docs/internals.md §6).
#ifndef HTTP_CORE_EXCHANGE_QUEUE_H_
#define HTTP_CORE_EXCHANGE_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace http_core {

struct PendingRequest {
  uint64_t exchange = 0;
  int64_t start_ts = -1;
  uint8_t method = kUnknownMethod;  // llhttp method once the request's headers are complete
  static constexpr uint8_t kUnknownMethod = 0xFF;
};

class ExchangeQueue {
 public:
  ExchangeQueue() = default;
  ExchangeQueue(const ExchangeQueue&) = delete;
  ExchangeQueue& operator=(const ExchangeQueue&) = delete;

  struct RequestStart {
    uint64_t exchange;
    bool unpaired;
    bool overflow;  // unpaired because max_pending requests were waiting
  };
  // Numbers a request that began at ts.
  RequestStart BeginRequest(int64_t ts, uint32_t max_pending);

  enum class Pairing : uint8_t { kPaired, kUnpaired, kOrphan };
  struct ResponseStart {
    uint64_t exchange;
    int64_t request_start_ts;  // -1 unless paired
    Pairing pairing;
  };
  ResponseStart BeginResponse();

  // The request's method, once its headers are complete (ignored if it is no longer the newest).
  void DescribeRequest(uint64_t exchange, uint8_t method);

  // The waiting request a response of this exchange answers, or nullptr.
  const PendingRequest* RequestOf(uint64_t exchange) const;

  // A final response of this exchange was emitted.
  void Answer(uint64_t exchange, bool unpaired);

  // A message of this exchange was dropped before its start line was complete. Returns true when
  // it gave its number back (for a response: the orphan it was counted as is undone).
  bool Abandon(bool is_request, uint64_t exchange, bool unpaired);

  // Responses, or requests, may have gone unseen (see the contract). True when this turned
  // pairing off.
  bool LoseAnswers();
  bool LoseRequests();

  uint64_t last_answered() const { return last_answered_; }
  size_t size() const { return count_; }
  uint64_t unpaired_due() const { return unpaired_due_; }
  bool pairing_lost() const { return lost_; }

 private:
  PendingRequest& At(size_t i) { return ring_[(head_ + i) & (cap_ - 1)]; }
  const PendingRequest& At(size_t i) const { return ring_[(head_ + i) & (cap_ - 1)]; }
  bool LosePairing();
  void PopFront();
  void PopBack();
  void Grow();
  void ShrinkIfEmpty();

  std::unique_ptr<PendingRequest[]> ring_;  // cap_ entries, a power of two
  uint32_t cap_ = 0;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
  uint64_t next_ = 0;           // last number given
  uint64_t last_answered_ = 0;  // exchange of the last final response
  uint64_t unpaired_due_ = 0;   // unpaired requests whose final response has not been read
  bool lost_ = false;           // messages may have gone unseen: nothing pairs any more
};

}  // namespace http_core

#endif  // HTTP_CORE_EXCHANGE_QUEUE_H_
