#include "common/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace flare {

int LogHistogram::BucketOf(int64_t value) {
  if (value <= 0) return 0;
  auto v = static_cast<uint64_t>(value);
  int exponent = std::bit_width(v) - 1;  // 2^exponent ≤ v < 2^(exponent+1)
  if (exponent >= kMaxExponent) return kBuckets - 1;
  // Which of the kSubBuckets log-spaced parts of [2^e, 2^(e+1)) holds v.
  double fraction = std::log2(static_cast<double>(v)) - exponent;
  int sub = std::min(kSubBuckets - 1, static_cast<int>(fraction * kSubBuckets));
  return 1 + exponent * kSubBuckets + sub;
}

double LogHistogram::BucketLower(int bucket) {
  if (bucket <= 0) return 0;
  return std::exp2(static_cast<double>(bucket - 1) / kSubBuckets);
}

double LogHistogram::BucketUpper(int bucket) {
  if (bucket <= 0) return 1;
  if (bucket >= kBuckets - 1) return std::numeric_limits<double>::infinity();
  return std::exp2(static_cast<double>(bucket) / kSubBuckets);
}

void LogHistogram::Add(int64_t value) {
  value = std::max<int64_t>(value, 0);
  ++counts_[BucketOf(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LogHistogram::Merge(const LogHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

int64_t LogHistogram::Percentile(double q) const {
  if (count_ == 0) return -1;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  int bucket = 0;
  for (; bucket < kBuckets; ++bucket) {
    seen += counts_[bucket];
    if (seen >= rank) break;
  }
  double estimate = bucket == 0 ? 0
                    : bucket == kBuckets - 1
                        ? static_cast<double>(max_)
                        : std::sqrt(BucketLower(bucket) * BucketUpper(bucket));  // geometric middle
  auto value = static_cast<int64_t>(std::llround(estimate));
  return std::clamp(value, min_, max_);
}

BoundedHistogram::BoundedHistogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void BoundedHistogram::Observe(double value) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<uint64_t> BoundedHistogram::Cumulative() const {
  std::vector<uint64_t> cumulative;
  cumulative.reserve(counts_.size());
  uint64_t running = 0;
  for (const auto& count : counts_) {
    running += count.load(std::memory_order_relaxed);
    cumulative.push_back(running);
  }
  return cumulative;
}

const std::vector<double>& LatencySecondsBounds() {
  static const std::vector<double> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10,   30,
                                             60,    120,    300,   600,  1800,  3600};
  return bounds;
}

}  // namespace flare
