#pragma once
// A Clock that moves only when a test says so.

#include <atomic>

#include "common/clock.h"

namespace flare::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_ms_(ToMillis(start)) {}
  TimePoint Now() const override { return FromMillis(now_ms_.load()); }
  void Set(TimePoint t) { now_ms_ = ToMillis(t); }
  void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace flare::testing
