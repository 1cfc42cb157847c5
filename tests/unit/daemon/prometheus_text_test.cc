// The Prometheus text format 0.0.4 as GET /metrics writes it.

#include "daemon/service/prometheus_text.h"

#include <gtest/gtest.h>

namespace flare::daemon {
namespace {

TEST(PrometheusText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapePromLabelValue("plain"), "plain");
  EXPECT_EQ(EscapePromLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(PrometheusText, AFamilyHasHelpAndTypeThenItsSamples) {
  PrometheusText out;
  out.Family("flare_runs_total", "Runs\\ by state\nand queue.", "counter");
  out.Sample("flare_runs_total", {{"queue", "em\"ails"}, {"state", "succeeded"}}, 3);
  EXPECT_EQ(out.text(),
            "# HELP flare_runs_total Runs\\\\ by state\\nand queue.\n"
            "# TYPE flare_runs_total counter\n"
            "flare_runs_total{queue=\"em\\\"ails\",state=\"succeeded\"} 3\n");
}

TEST(PrometheusText, NumbersAreWrittenAsTheFormatSpellsThem) {
  EXPECT_EQ(FormatPromNumber(42), "42");
  EXPECT_EQ(FormatPromNumber(0.25), "0.25");
  EXPECT_EQ(FormatPromNumber(0.001), "0.001");
  EXPECT_EQ(FormatPromNumber(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatPromNumber(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatPromNumber(0.0 / 0.0), "NaN");
}

TEST(PrometheusText, AHistogramHasCumulativeBucketsEndingWithInfThenSumAndCount) {
  PrometheusText out;
  out.Histogram("flare_queue_wait_seconds", {{"queue", "q"}}, {0.1, 1}, {2, 5, 7}, 3.5);
  EXPECT_EQ(out.text(),
            "flare_queue_wait_seconds_bucket{queue=\"q\",le=\"0.1\"} 2\n"
            "flare_queue_wait_seconds_bucket{queue=\"q\",le=\"1\"} 5\n"
            "flare_queue_wait_seconds_bucket{queue=\"q\",le=\"+Inf\"} 7\n"
            "flare_queue_wait_seconds_sum{queue=\"q\"} 3.5\n"
            "flare_queue_wait_seconds_count{queue=\"q\"} 7\n");
}

}  // namespace
}  // namespace flare::daemon
