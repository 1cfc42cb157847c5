#pragma once
// flared's log: one line per event, as text ("msg key=value …") or JSON objects.
// Callers pass only what is safe to print: never keys, secrets or header values.
// A field's value keeps its type: numbers are JSON numbers, so log pipelines can aggregate
// them ("status":200, "ms":1000.518), and strings are strings.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace flare::daemon {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

/// A field value: text, a number or a bool.
class LogValue {
 public:
  LogValue(std::string text) : value_(std::move(text)) {}
  LogValue(const char* text) : value_(std::string(text)) {}
  LogValue(std::string_view text) : value_(std::string(text)) {}
  template <typename Number, typename = std::enable_if_t<std::is_arithmetic_v<Number>>>
  LogValue(Number number) : value_(number) {}

  const nlohmann::json& json() const { return value_; }

 private:
  nlohmann::json value_;
};

using LogField = std::pair<std::string_view, LogValue>;

void ConfigureLog(LogFormat format, LogLevel level);
bool LogEnabled(LogLevel level);
/// The line Log would write (without the newline); exposed for tests.
std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view message,
                          std::initializer_list<LogField> fields);
void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kDebug, m, f);
}
inline void LogInfo(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarn(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kWarn, m, f);
}
inline void LogError(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kError, m, f);
}

}  // namespace flare::daemon
