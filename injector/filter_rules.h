// The value rules of the filter and redaction options (docs/configuration.md, "Filters" and
// "Redaction"), as the injector checks per-pod annotations: redactQueryParams, redactBodyFields,
// httpAllowMethod, httpAllowUrl, httpDisallowUrl, httpAllowHost.
//
// Patterns are checked for shape only (1-1024 characters, no control character): the injector shares
// no code with the data plane, and the pattern syntax is the sidecar's (ts/src/url-pattern.ts), which
// refuses a bad pattern at start naming the variable. The shared cases hold only shape cases for them.
#ifndef INJECTOR_FILTER_RULES_H_
#define INJECTOR_FILTER_RULES_H_

#include <optional>
#include <string_view>

#include "value_rules.h"

namespace injector {

// nullopt for a key that is not one of the six above.
std::optional<ValueCheck> CheckFilterValue(std::string_view key, std::string_view raw);

}  // namespace injector

#endif  // INJECTOR_FILTER_RULES_H_
