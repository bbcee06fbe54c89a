#include "connection_limits.h"

namespace injector {
namespace ip = boost::asio::ip;

ip::address ConnectionLimits::Canonical(const ip::address& source) {
  if (source.is_v6() && source.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, source.to_v6());
  }
  return source;
}

ConnectionLimits::Verdict ConnectionLimits::TryAdmit(const ip::address& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (total_ >= max_total_) return Verdict::kOverTotal;
  std::uint32_t& from = per_source_[Canonical(source)];
  if (from >= max_per_source_) return Verdict::kOverSource;  // from >= 1 here: the entry stays meaningful
  ++from;
  ++total_;
  return Verdict::kAdmitted;
}

void ConnectionLimits::Release(const ip::address& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = per_source_.find(Canonical(source));
  if (it == per_source_.end() || total_ == 0) return;  // not admitted: nothing to give back
  --total_;
  if (--it->second == 0) per_source_.erase(it);
}

std::uint32_t ConnectionLimits::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

std::uint32_t ConnectionLimits::open_from(const ip::address& source) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = per_source_.find(Canonical(source));
  return it == per_source_.end() ? 0 : it->second;
}

}  // namespace injector
