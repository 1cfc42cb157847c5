#pragma once
// Two histograms for latency metrics.
//
// LogHistogram answers percentiles (p50/p95/p99 of queue wait and run time). Values are
// non-negative integers (milliseconds); bucket 0 holds 0, then every power of two is split
// into kSubBuckets log-spaced buckets, so a bucket spans at most 2^(1/4) ≈ 19% and the
// geometric middle we report is within ±9% of any value in it. Values past 2^kMaxExponent
// (≈ 12 days in ms) share the last bucket. The exact min and max are kept too, so a
// percentile never lies outside the observed range (one sample reports itself exactly).
// Merging is adding counts, which is what lets a period be summed from time slots.
//
// BoundedHistogram is a Prometheus histogram: fixed upper bounds (`le`), counts, a sum.
// Its counters are atomics, so one thread may observe while another renders without a lock
// (the writer thread records its commits into one; a scrape reads it).

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

namespace flare {

class LogHistogram {
 public:
  static constexpr int kSubBuckets = 4;
  static constexpr int kMaxExponent = 30;
  static constexpr int kBuckets = 2 + kMaxExponent * kSubBuckets;

  void Add(int64_t value);
  void Merge(const LogHistogram& other);
  uint64_t count() const { return count_; }
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  /// The value at quantile `q` (0 < q ≤ 1, nearest rank), or -1 when empty.
  int64_t Percentile(double q) const;

  /// The bucket a value falls in, and the range [lower, upper) a bucket covers (exposed for
  /// tests of the bucket edges).
  static int BucketOf(int64_t value);
  static double BucketLower(int bucket);
  static double BucketUpper(int bucket);

 private:
  std::array<uint32_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t min_ = std::numeric_limits<int64_t>::max();
  int64_t max_ = 0;
};

class BoundedHistogram {
 public:
  /// `bounds` ascending; a +Inf bucket is implied.
  explicit BoundedHistogram(std::vector<double> bounds);
  BoundedHistogram(const BoundedHistogram&) = delete;
  BoundedHistogram& operator=(const BoundedHistogram&) = delete;

  void Observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative counts, one per bound and a last one for +Inf (= the total count).
  std::vector<uint64_t> Cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0};
};

/// Upper bounds in seconds for latencies from sub-millisecond to an hour.
const std::vector<double>& LatencySecondsBounds();

}  // namespace flare
