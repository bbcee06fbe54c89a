// The injector's one logger: one JSON object per line on stderr (`timestamp`, `level`, `message`, plus
// fields), the shape every component of the project logs in (docs/configuration.md, "Logs").
//
// Thread-safe: each line is written with one fwrite under a mutex, so lines from the server's threads
// never interleave. Callers must never pass a secret as a field (token values, URLs with credentials).
#ifndef INJECTOR_LOG_H_
#define INJECTOR_LOG_H_

#include <boost/json/object.hpp>

#include <string_view>

namespace injector {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// REQUIRES: `name` is one of debug, info, warn, error (checked by the options loader).
LogLevel LogLevelFromName(std::string_view name);

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

void Log(LogLevel level, std::string_view message, boost::json::object fields = {});

// An info line written whatever the level: start, stop and drain, which operators (and tests reading
// the bound port) always need.
void LogLifecycle(std::string_view message, boost::json::object fields = {});

inline void LogDebug(std::string_view m, boost::json::object f = {}) { Log(LogLevel::kDebug, m, std::move(f)); }
inline void LogInfo(std::string_view m, boost::json::object f = {}) { Log(LogLevel::kInfo, m, std::move(f)); }
inline void LogWarn(std::string_view m, boost::json::object f = {}) { Log(LogLevel::kWarn, m, std::move(f)); }
inline void LogError(std::string_view m, boost::json::object f = {}) { Log(LogLevel::kError, m, std::move(f)); }

}  // namespace injector

#endif  // INJECTOR_LOG_H_
