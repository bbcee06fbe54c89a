#include "upgrade_hold.h"

namespace http_core {

void UpgradeHold::Begin(uint64_t exchange) {
  exchange_ = exchange;
  bytes_.clear();
  lost_ = false;
}

UpgradeHold::HoldResult UpgradeHold::Hold(const uint8_t* data, size_t len, size_t max_bytes) {
  if (lost_ || bytes_.size() + len > max_bytes) {
    const bool overflowed = !lost_;
    lost_ = true;
    const uint64_t dropped = bytes_.size() + len;
    std::string().swap(bytes_);
    return HoldResult{overflowed, dropped};
  }
  bytes_.append(reinterpret_cast<const char*>(data), len);
  return HoldResult{false, 0};
}

uint64_t UpgradeHold::Lose() {
  lost_ = true;
  return Drop();
}

std::string UpgradeHold::Take(bool* lost) {
  *lost = lost_;
  lost_ = false;
  std::string held;
  held.swap(bytes_);
  return held;
}

uint64_t UpgradeHold::Drop() {
  const uint64_t n = bytes_.size();
  std::string().swap(bytes_);
  return n;
}

}  // namespace http_core
