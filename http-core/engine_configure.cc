// Engine::Configure: the message rules beyond header names (filters, query and body redaction), kept
// apart from engine.cc so that the option list can grow without touching the event path.
#include <string_view>

#include "engine.h"

namespace http_core {
namespace {
constexpr size_t kMaxPlacementBytes = 64 << 10;
}  // namespace

bool Engine::Configure(uint32_t option, const uint8_t* value, size_t len) {
  if (value == nullptr && len != 0) return false;
  const std::string_view text(reinterpret_cast<const char*>(value), value == nullptr ? 0 : len);
  switch (static_cast<Option>(option)) {
    case Option::kRedactQueryParams:
      return ctx_.redactor.query_params.Parse(text);
    case Option::kRedactBodyFields:
      return ctx_.redactor.body_fields.Parse(text);
    case Option::kAllowUrl:
      return ctx_.filter.LoadPattern(ExchangeFilter::Rule::kAllowUrl, value, len);
    case Option::kDisallowUrl:
      return ctx_.filter.LoadPattern(ExchangeFilter::Rule::kDisallowUrl, value, len);
    case Option::kAllowHost:
      return ctx_.filter.LoadPattern(ExchangeFilter::Rule::kAllowHost, value, len);
    case Option::kAllowMethods:
      ctx_.filter.SetMethods(text);
      return true;
    case Option::kPlacement:
      // The host's JSON (ts/src/wasm/core.ts), written as it is: only its shape and size are checked.
      if (text.size() < 2 || text.size() > kMaxPlacementBytes || text.front() != '{' || text.back() != '}') return false;
      ctx_.placement = ",\"placement\":";
      ctx_.placement += text;
      return true;
  }
  return false;
}

}  // namespace http_core
