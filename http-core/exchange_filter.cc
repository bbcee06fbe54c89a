#include "exchange_filter.h"

#include <algorithm>

namespace http_core {

bool ExchangeFilter::LoadPattern(Rule rule, const uint8_t* program, size_t len) {
  PatternProgram& p = rule == Rule::kAllowUrl      ? allow_url_
                      : rule == Rule::kDisallowUrl ? disallow_url_
                                                   : allow_host_;
  const bool ok = p.Load(program, len);
  active_ = allow_url_.loaded() || disallow_url_.loaded() || allow_host_.loaded() || !methods_.empty();
  return ok;
}

void ExchangeFilter::SetMethods(std::string_view csv) {
  methods_.clear();
  while (!csv.empty()) {
    const size_t comma = csv.find(',');
    const std::string_view name = csv.substr(0, comma);
    csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
    if (!name.empty()) methods_.emplace_back(name);
  }
  active_ = allow_url_.loaded() || disallow_url_.loaded() || allow_host_.loaded() || !methods_.empty();
}

bool ExchangeFilter::Keeps(std::string_view method, std::string_view target, std::string_view host) {
  if (!methods_.empty() && std::find(methods_.begin(), methods_.end(), method) == methods_.end()) {
    return false;
  }
  if (allow_url_.loaded() && !allow_url_.Search(target, /*fold_case=*/false)) return false;
  if (disallow_url_.loaded() && disallow_url_.Search(target, /*fold_case=*/false)) return false;
  // Host names are case-insensitive: the pattern sees the value lower-cased.
  if (allow_host_.loaded() && !allow_host_.Search(host, /*fold_case=*/true)) return false;
  return true;
}

void FilteredExchanges::Add(uint64_t exchange, size_t cap) {
  if (cap == 0) return;
  if (waiting_.size() >= cap) waiting_.erase(waiting_.begin());
  waiting_.push_back(exchange);
}

bool FilteredExchanges::Contains(uint64_t exchange) const {
  return std::binary_search(waiting_.begin(), waiting_.end(), exchange);
}

void FilteredExchanges::Answered(uint64_t exchange) {
  if (waiting_.empty()) return;
  waiting_.erase(waiting_.begin(), std::upper_bound(waiting_.begin(), waiting_.end(), exchange));
  if (waiting_.empty() && waiting_.capacity() > 8) std::vector<uint64_t>().swap(waiting_);
}

}  // namespace http_core
