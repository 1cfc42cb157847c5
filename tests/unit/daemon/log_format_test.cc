#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/log.h"

namespace flare::daemon {
namespace {

TEST(LogFormat, JsonFieldsKeepNumbersAsNumbers) {
  std::string line =
      FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "request",
                    {{"path", "/healthz"}, {"status", 200}, {"ms", 1000.518}, {"big", 1ULL << 40}});
  auto entry = nlohmann::json::parse(line);
  EXPECT_TRUE(entry["status"].is_number_integer());
  EXPECT_EQ(entry["status"], 200);
  EXPECT_TRUE(entry["ms"].is_number_float());
  EXPECT_DOUBLE_EQ(entry["ms"].get<double>(), 1000.518);
  EXPECT_EQ(entry["big"], 1ULL << 40);
  EXPECT_EQ(entry["path"], "/healthz");
  EXPECT_EQ(entry["msg"], "request");
}

TEST(LogFormat, TextFieldsPrintNumbersPlainAndQuoteTextWithSpaces) {
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kWarn, "x",
                                   {{"status", 503}, {"error", "no thread free"}, {"path", "/a"}});
  EXPECT_NE(line.find(" warn x status=503 error=\"no thread free\" path=/a"), std::string::npos)
      << line;
}

TEST(LogFormat, TextThatIsNotUtf8StillMakesValidJson) {
  std::string line =
      FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "m", {{"path", std::string("/\xff")}});
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

}  // namespace
}  // namespace flare::daemon
