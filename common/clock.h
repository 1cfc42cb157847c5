#pragma once
// The Clock seam: engines ask it for "now" so tests can drive time by hand
// (ninja's DiskInterface idea). Waiting is the caller's business.

#include <chrono>

#include "common/time_format.h"

namespace flare {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time, millisecond precision.
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

}  // namespace flare
