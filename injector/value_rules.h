// The configuration value rules shared with the TS library (docs/configuration.md), applied to raw
// strings as the environment, the CLI and the injector's annotations carry them. The reading of a
// raw string is fixed by fixtures/validation/README.md; tests/injector/value_rules_test.cc runs every
// case of fixtures/validation/cases.json through CheckValue so the two implementations cannot drift.
//
// The production-only rule (`https: in production`) is not applied: the injector cannot know the
// sidecar's runtime setting, and the sidecar applies it itself at start.
#ifndef INJECTOR_VALUE_RULES_H_
#define INJECTOR_VALUE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace injector {

// Upper bounds the injector itself also relies on: the sidecar refuses a DRAIN_TIMEOUT_MS above
// kMaxTimeoutMs (the longest Node timer), so the drain the injector derives is capped to it.
inline constexpr std::uint64_t kMaxBodySize = 134217728;
inline constexpr std::uint64_t kMaxTimeoutMs = 2147483647;

// The outcome of checking one raw value.
struct ValueCheck {
  bool valid = false;
  std::string rule;        // the rule text of the shared cases, e.g. "integer from 0 to 134217728"
  std::string normalized;  // valid only: the value as the sidecar should receive it
};

// Library key names this file knows: ports, outputUrl, interface, sampleRate, maxBodySize,
// maxConcurrentConnections, connectionIdleTimeoutMs, drainTimeoutMs, maxBufferedBytes, outputStdout,
// redactHeaders, logLevel. Returns nullopt for any other key.
std::optional<ValueCheck> CheckValue(std::string_view key, std::string_view raw);

// Leading and trailing spaces and tabs removed; nothing else.
std::string_view TrimBlanks(std::string_view raw);

}  // namespace injector

#endif  // INJECTOR_VALUE_RULES_H_
