#include "daemon/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace flare::daemon {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_write_mutex;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool NeedsQuotes(const std::string& value) {
  return value.empty() || value.find_first_of(" \"=\t\n") != std::string::npos;
}

}  // namespace

void ConfigureLog(LogFormat format, LogLevel level) {
  g_format = format;
  g_level = level;
}

bool LogEnabled(LogLevel level) { return level >= g_level.load(); }

std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view message,
                          std::initializer_list<LogField> fields) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  std::string time = FormatTime(SystemClock::Instance().Now());
  if (format == LogFormat::kJson) {
    nlohmann::json entry = {{"time", time}, {"level", LevelName(level)}, {"msg", message}};
    for (const auto& [key, value] : fields) entry[std::string(key)] = value.json();
    return entry.dump(-1, ' ', false, kReplace);
  }
  std::string line = time + " " + LevelName(level) + " " + std::string(message);
  for (const auto& [key, value] : fields) {
    const auto& json = value.json();
    std::string text =
        json.is_string() ? json.get<std::string>() : json.dump(-1, ' ', false, kReplace);
    line += " " + std::string(key) + "=" +
            (NeedsQuotes(text) ? nlohmann::json(text).dump(-1, ' ', false, kReplace) : text);
  }
  return line;
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  std::string line = FormatLogLine(g_format.load(), level, message, fields);
  line += '\n';
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace flare::daemon
