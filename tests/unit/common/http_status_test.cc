#include "common/http_status.h"

#include <gtest/gtest.h>

namespace flare {
namespace {

TEST(SuccessStatus, MatchesCodesAndClasses) {
  EXPECT_TRUE(MatchesSuccessStatus(200, "2xx"));
  EXPECT_TRUE(MatchesSuccessStatus(299, "2XX"));
  EXPECT_FALSE(MatchesSuccessStatus(300, "2xx"));
  EXPECT_FALSE(MatchesSuccessStatus(199, "2xx"));
  EXPECT_TRUE(MatchesSuccessStatus(204, "204"));
  EXPECT_FALSE(MatchesSuccessStatus(200, "204"));
  EXPECT_TRUE(MatchesSuccessStatus(404, "4xx"));
  EXPECT_FALSE(MatchesSuccessStatus(0, "2xx"));
}

TEST(SuccessStatus, RejectsMalformedSpecs) {
  for (const char* bad : {"", "2", "20", "2000", "x2x", "6xx", "0xx", "2x0", "abc", "099"}) {
    EXPECT_FALSE(IsValidSuccessStatus(bad)) << bad;
    EXPECT_FALSE(MatchesSuccessStatus(200, bad)) << bad;
  }
  EXPECT_TRUE(IsValidSuccessStatus("2xx"));
  EXPECT_TRUE(IsValidSuccessStatus("201"));
}

}  // namespace
}  // namespace flare
