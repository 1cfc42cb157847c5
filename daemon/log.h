#pragma once
// flared's log: one line per event, as text ("msg key=value …") or JSON objects.
// Callers pass only what is safe to print: never keys, secrets or header values.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace flare::daemon {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

using LogField = std::pair<std::string_view, std::string>;

void ConfigureLog(LogFormat format, LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kDebug, m, f); }
inline void LogInfo(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kInfo, m, f); }
inline void LogWarn(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kWarn, m, f); }
inline void LogError(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kError, m, f); }

}  // namespace flare::daemon
