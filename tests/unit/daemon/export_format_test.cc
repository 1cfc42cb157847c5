// The hand-written export formats: JSON strings as nlohmann writes them, CSV cells per
// RFC 4180 with formulas neutralised.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/json_escape.h"
#include "daemon/service/csv.h"

namespace flare::daemon {
namespace {

TEST(ExportFormat, JsonStringsMatchWhatNlohmannWrites) {
  for (std::string text : {std::string("plain"), std::string("quote \" and \\ backslash"),
                           std::string("lines\r\n\ttab\b\f"), std::string("ctl \x01\x1f end"),
                           std::string("utf-8 \xc3\xa9\xe2\x82\xac"), std::string()}) {
    std::string out;
    AppendJsonString(out, text);
    EXPECT_EQ(out, nlohmann::json(text).dump()) << text;
  }
}

TEST(ExportFormat, CsvCellsAreQuotedAndFormulasNeutralised) {
  std::string out;
  AppendCsvRecord(out, {"plain", "a,b", "say \"hi\"", "two\r\nlines", "=SUM(A1)", "+1", "-2", "@x",
                        "", "=a,b"});
  EXPECT_EQ(
      out,
      "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",'=SUM(A1),'+1,'-2,'@x,,\"'=a,b\"\r\n");
}

}  // namespace
}  // namespace flare::daemon
