#include "exchange_queue.h"

namespace http_core {

namespace {
// Below this the ring is kept when it empties: a connection that pipelines a little does not
// allocate again for every burst.
constexpr uint32_t kKeptCapacity = 2;
}  // namespace

ExchangeQueue::RequestStart ExchangeQueue::BeginRequest(int64_t ts, uint32_t max_pending) {
  const uint64_t exchange = ++next_;
  const bool overflow = count_ >= max_pending;
  if (lost_ || unpaired_due_ > 0 || overflow) {
    ++unpaired_due_;
    return RequestStart{exchange, true, overflow};
  }
  if (count_ == cap_) Grow();
  PendingRequest& entry = At(count_);
  entry.exchange = exchange;
  entry.start_ts = ts;
  entry.method = PendingRequest::kUnknownMethod;
  ++count_;
  return RequestStart{exchange, false, false};
}

ExchangeQueue::ResponseStart ExchangeQueue::BeginResponse() {
  if (count_ > 0) return ResponseStart{At(0).exchange, At(0).start_ts, Pairing::kPaired};
  const bool unpaired = lost_ || unpaired_due_ > 0;
  return ResponseStart{++next_, -1, unpaired ? Pairing::kUnpaired : Pairing::kOrphan};
}

void ExchangeQueue::DescribeRequest(uint64_t exchange, uint8_t method) {
  if (count_ == 0 || At(count_ - 1).exchange != exchange) return;
  At(count_ - 1).method = method;
}

const PendingRequest* ExchangeQueue::RequestOf(uint64_t exchange) const {
  if (count_ > 0 && At(0).exchange == exchange) return &At(0);
  return nullptr;
}

void ExchangeQueue::Answer(uint64_t exchange, bool unpaired) {
  if (unpaired) {
    if (count_ == 0 && unpaired_due_ > 0) --unpaired_due_;
  } else if (count_ > 0 && At(0).exchange == exchange) {
    PopFront();
  }
  if (exchange > last_answered_) last_answered_ = exchange;
}

bool ExchangeQueue::Abandon(bool is_request, uint64_t exchange, bool unpaired) {
  if (is_request && unpaired && unpaired_due_ > 0) --unpaired_due_;
  if (is_request && !unpaired && count_ > 0 && At(count_ - 1).exchange == exchange) PopBack();
  const bool took_number = is_request || count_ == 0 || At(0).exchange != exchange;
  if (took_number && exchange == next_ && next_ > 0) {
    --next_;
    return true;
  }
  return false;
}

bool ExchangeQueue::LoseAnswers() {
  if (count_ == 0 && unpaired_due_ == 0) return false;
  // Which of the waiting requests the lost answers belonged to is unknown: none is answered now.
  count_ = 0;
  ShrinkIfEmpty();
  return LosePairing();
}

bool ExchangeQueue::LoseRequests() { return LosePairing(); }

bool ExchangeQueue::LosePairing() {
  const bool was_lost = lost_;
  lost_ = true;
  return !was_lost;
}

void ExchangeQueue::PopFront() {
  head_ = (head_ + 1) & (cap_ - 1);
  --count_;
  ShrinkIfEmpty();
}

void ExchangeQueue::PopBack() {
  --count_;
  ShrinkIfEmpty();
}

void ExchangeQueue::Grow() {
  const uint32_t cap = cap_ == 0 ? 1 : cap_ * 2;
  std::unique_ptr<PendingRequest[]> ring(new PendingRequest[cap]);
  for (uint32_t i = 0; i < count_; ++i) ring[i] = At(i);
  ring_ = std::move(ring);
  cap_ = cap;
  head_ = 0;
}

void ExchangeQueue::ShrinkIfEmpty() {
  if (count_ != 0) return;
  head_ = 0;
  if (cap_ > kKeptCapacity) {
    ring_.reset();
    cap_ = 0;
  }
}

}  // namespace http_core
