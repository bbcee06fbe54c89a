// ExchangeFilter: which exchanges are reported at all (--http-allow-url, --http-disallow-url,
// --http-allow-method, --http-allow-host). Decided once per request, from its start line and Host,
// when its headers are complete (or when it is cut before that, from what was read); a filtered
// request and every response to it (1xx included) are never written, only counted.
//
// FilteredExchanges: one connection's filtered exchange numbers that still await their final
// response, ascending (requests are numbered in order and answered in order).
#ifndef HTTP_CORE_EXCHANGE_FILTER_H_
#define HTTP_CORE_EXCHANGE_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pattern_program.h"

namespace http_core {

struct FilterCounters {
  uint64_t exchanges_filtered = 0;  // requests not reported because of the filters
  uint64_t messages_filtered = 0;   // those requests and the responses to them
};

class ExchangeFilter {
 public:
  enum class Rule : uint8_t { kAllowUrl, kDisallowUrl, kAllowHost };

  // Returns false (the rule is then off) when the program breaks PatternProgram's layout.
  bool LoadPattern(Rule rule, const uint8_t* program, size_t len);
  // Comma-separated method names, matched exactly (the TS layer upper-cases them). Empty = any.
  void SetMethods(std::string_view csv);
  bool active() const { return active_; }

  // Whether an exchange with this request line and Host value is reported.
  bool Keeps(std::string_view method, std::string_view target, std::string_view host);

  FilterCounters& counters() { return counters_; }
  const FilterCounters& counters() const { return counters_; }

 private:
  PatternProgram allow_url_, disallow_url_, allow_host_;
  std::vector<std::string> methods_;
  FilterCounters counters_;
  bool active_ = false;
};

class FilteredExchanges {
 public:
  // REQUIRES: exchange greater than every exchange added before. Beyond `cap` waiting, the oldest is
  // forgotten (its response, if it ever comes, is reported).
  void Add(uint64_t exchange, size_t cap);
  bool Contains(uint64_t exchange) const;
  // The final response of `exchange` was handled: it and every older number go.
  void Answered(uint64_t exchange);

 private:
  std::vector<uint64_t> waiting_;  // ascending; empty (no storage) on most connections
};

}  // namespace http_core

#endif  // HTTP_CORE_EXCHANGE_FILTER_H_
