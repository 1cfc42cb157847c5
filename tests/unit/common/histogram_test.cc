// The latency histograms: log-scale buckets and their edges, percentiles from them, and the
// fixed-bound Prometheus histogram (le is inclusive, counts are cumulative).

#include "common/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace flare {
namespace {

TEST(LogHistogram, ZeroAndOneHaveTheirOwnBuckets) {
  EXPECT_EQ(LogHistogram::BucketOf(0), 0);
  EXPECT_EQ(LogHistogram::BucketOf(-5), 0);
  EXPECT_EQ(LogHistogram::BucketOf(1), 1);
  EXPECT_EQ(LogHistogram::BucketOf(2), 1 + LogHistogram::kSubBuckets);
}

TEST(LogHistogram, EveryValueLiesInsideItsBucketsRange) {
  for (int64_t v = 1; v < 5'000'000; v = v * 11 / 10 + 1) {
    int bucket = LogHistogram::BucketOf(v);
    EXPECT_LE(LogHistogram::BucketLower(bucket), static_cast<double>(v)) << v;
    EXPECT_GT(LogHistogram::BucketUpper(bucket), static_cast<double>(v)) << v;
    // A bucket spans at most 2^(1/kSubBuckets): the reported middle is within ±10%.
    EXPECT_LE(LogHistogram::BucketUpper(bucket) / LogHistogram::BucketLower(bucket),
              std::exp2(1.0 / LogHistogram::kSubBuckets) + 1e-9);
  }
}

TEST(LogHistogram, PowersOfTwoStartABucketAndTheValueBelowEndsThePrevious) {
  for (int e = 3; e < 20; ++e) {  // below 8, integers do not reach every sub-bucket
    int64_t power = int64_t{1} << e;
    EXPECT_EQ(LogHistogram::BucketOf(power), 1 + e * LogHistogram::kSubBuckets);
    EXPECT_EQ(LogHistogram::BucketOf(power - 1), e * LogHistogram::kSubBuckets) << power;
  }
}

TEST(LogHistogram, HugeValuesShareTheLastBucket) {
  int64_t huge = int64_t{1} << 40;
  EXPECT_EQ(LogHistogram::BucketOf(huge), LogHistogram::kBuckets - 1);
  LogHistogram h;
  h.Add(huge);
  EXPECT_EQ(h.Percentile(0.5), huge);  // the exact max, not a bucket edge
}

TEST(LogHistogram, AnEmptyHistogramHasNoPercentile) {
  LogHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), -1);
}

TEST(LogHistogram, OneSampleIsReportedExactly) {
  LogHistogram h;
  h.Add(137);
  EXPECT_EQ(h.Percentile(0.5), 137);
  EXPECT_EQ(h.Percentile(0.99), 137);
}

TEST(LogHistogram, PercentilesOfAUniformSpreadAreWithinTheBucketError) {
  LogHistogram h;
  for (int v = 1; v <= 1000; ++v) h.Add(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.Percentile(0.50), 500, 50);
  EXPECT_NEAR(h.Percentile(0.95), 950, 95);
  EXPECT_NEAR(h.Percentile(0.99), 990, 99);
  EXPECT_LE(h.Percentile(1.0), 1000);
}

TEST(LogHistogram, ATailShowsInTheHighPercentilesOnly) {
  LogHistogram h;
  for (int i = 0; i < 98; ++i) h.Add(10);
  h.Add(5000);
  h.Add(5000);
  EXPECT_NEAR(h.Percentile(0.50), 10, 1);
  EXPECT_NEAR(h.Percentile(0.95), 10, 1);
  EXPECT_NEAR(h.Percentile(0.99), 5000, 500);
}

TEST(LogHistogram, MergingIsTheSameAsAddingEverything) {
  LogHistogram a, b, all;
  for (int v = 0; v < 300; ++v) {
    (v % 2 ? a : b).Add(v * 7);
    all.Add(v * 7);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
}

TEST(BoundedHistogram, AValueOnABoundCountsInThatBucket) {
  BoundedHistogram h({1, 2, 5});
  h.Observe(1);    // le="1" is inclusive
  h.Observe(1.5);  // le="2"
  h.Observe(5);    // le="5"
  h.Observe(9);    // +Inf only
  EXPECT_EQ(h.Cumulative(), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(h.sum(), 16.5);
}

TEST(BoundedHistogram, CountsAreCumulativeAndEndWithTheTotal) {
  BoundedHistogram h(LatencySecondsBounds());
  for (int i = 0; i < 10; ++i) h.Observe(0.2);
  auto cumulative = h.Cumulative();
  ASSERT_EQ(cumulative.size(), LatencySecondsBounds().size() + 1);
  for (size_t i = 1; i < cumulative.size(); ++i) EXPECT_GE(cumulative[i], cumulative[i - 1]);
  EXPECT_EQ(cumulative.back(), 10u);
}

}  // namespace
}  // namespace flare
