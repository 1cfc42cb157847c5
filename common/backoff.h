#pragma once
// Retry delays (SPEC §5). A policy is parsed from the job's "retry" object and asked,
// after attempt N failed, how long to wait before attempt N+1.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace flare {

enum class RetryStrategy { kExponential, kLinear, kFixed, kCustom };

struct RetryPolicy {
  RetryStrategy strategy = RetryStrategy::kExponential;
  int64_t initial_delay_seconds = 10;
  int64_t max_delay_seconds = 3600;
  std::vector<int64_t> delays_seconds;  // kCustom: delay after attempt 1, 2, …; last repeats
  bool jitter = true;

  nlohmann::json ToJson() const;
  /// ToJson().dump(), written without building the object: every create stores it in the
  /// job's settings and answers it in the job (~11 K instructions each way as an object).
  std::string ToText() const;
};

/// Parses and validates a "retry" object; unknown fields and out-of-range values are errors.
Result<RetryPolicy> ParseRetryPolicy(const nlohmann::json& value);

/// The delay after `failed_attempt` (1-based) failed. `unit_random` in [0, 1) drives jitter,
/// which spreads the delay uniformly over [delay/2, delay] so retries of many jobs that
/// failed together do not return together. Never above max_delay_seconds.
std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int failed_attempt,
                                     double unit_random);

/// A uniform random number in [0, 1) from a thread-local generator.
double UnitRandom();

}  // namespace flare
