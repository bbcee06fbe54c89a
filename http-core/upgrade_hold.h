// UpgradeHold: the client's bytes held while a request that asks to leave HTTP (Upgrade +
// Connection: upgrade, or CONNECT) waits for its response.
//
// Contract:
// - Holds at most max_bytes; past that, or after a gap, the hold is "lost": nothing more is kept
//   and what was held is dropped (the caller counts the bytes). A lost hold still waits for the
//   answer.
// - If the server declines, the caller takes the held bytes back (Take) and parses them as HTTP, or
//   resynchronises when the hold was lost. If it accepts, the bytes belong to the new protocol.
// - Holds no memory when not waiting.
#ifndef HTTP_CORE_UPGRADE_HOLD_H_
#define HTTP_CORE_UPGRADE_HOLD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "held_ledger.h"

namespace http_core {

class UpgradeHold {
 public:
  // The request of this exchange asked to upgrade; its client bytes are held from now on.
  void Begin(uint64_t exchange);

  struct HoldResult {
    bool overflowed;   // this call passed max_bytes (once per hold)
    uint64_t dropped;  // bytes given up by this call
  };
  HoldResult Hold(const uint8_t* data, size_t len, size_t max_bytes);

  // A gap in the client's bytes: returns the bytes dropped.
  uint64_t Lose();

  // The held bytes and whether the hold was lost; the hold is empty afterwards.
  std::string Take(bool* lost);

  // Gives up the held bytes; returns how many there were.
  uint64_t Drop();

  uint64_t exchange() const { return exchange_; }
  size_t size() const { return bytes_.size(); }

  // The Upgrade value of the request that asked to upgrade (its headers are complete; its response
  // may name no protocol). Kept here rather than with every pending request: only one request at a
  // time can be waiting to upgrade, so the copy is one bounded string the ledger counts.
  void Offer(uint64_t exchange, std::string_view upgrade) {
    offer_exchange_ = exchange;
    offer_.assign(upgrade.data(), upgrade.size());
  }
  // The value offered by the request of `exchange`, or empty.
  std::string_view OfferOf(uint64_t exchange) const {
    return exchange == offer_exchange_ ? std::string_view(offer_) : std::string_view();
  }
  void ForgetOffer() {
    offer_exchange_ = 0;
    std::string().swap(offer_);
  }
  // Bytes held: the client bytes and the offered value.
  size_t held_bytes() const { return HeapBytes(bytes_) + HeapBytes(offer_); }

 private:
  std::string offer_;
  uint64_t offer_exchange_ = 0;
  std::string bytes_;
  uint64_t exchange_ = 0;
  bool lost_ = false;
};

}  // namespace http_core

#endif  // HTTP_CORE_UPGRADE_HOLD_H_
