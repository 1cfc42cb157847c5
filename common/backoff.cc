#include "common/backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace flare {
namespace {

constexpr int64_t kMaxDelaySeconds = 7 * 86400;

const char* StrategyName(RetryStrategy s) {
  switch (s) {
    case RetryStrategy::kExponential:
      return "exponential";
    case RetryStrategy::kLinear:
      return "linear";
    case RetryStrategy::kFixed:
      return "fixed";
    case RetryStrategy::kCustom:
      return "custom";
  }
  return "exponential";
}

Result<int64_t> ReadSeconds(const nlohmann::json& value, const std::string& field, int64_t min) {
  if (!value.is_number_integer()) {
    return InvalidRequest("retry." + field + " must be a whole number of seconds",
                          "retry." + field);
  }
  int64_t seconds = value.get<int64_t>();
  if (seconds < min || seconds > kMaxDelaySeconds) {
    return InvalidRequest("retry." + field + " must be between " + std::to_string(min) + " and " +
                              std::to_string(kMaxDelaySeconds) + " seconds",
                          "retry." + field);
  }
  return seconds;
}

}  // namespace

nlohmann::json RetryPolicy::ToJson() const {
  nlohmann::json out = {{"strategy", StrategyName(strategy)},
                        {"initial_delay_seconds", initial_delay_seconds},
                        {"max_delay_seconds", max_delay_seconds},
                        {"jitter", jitter}};
  if (strategy == RetryStrategy::kCustom) out["delays_seconds"] = delays_seconds;
  return out;
}

std::string RetryPolicy::ToText() const {
  // ToJson's keys in their sorted order, as dump() writes them; every value is a number, a
  // bool or a fixed name, so nothing needs escaping.
  std::string out = "{";
  if (strategy == RetryStrategy::kCustom) {
    out += "\"delays_seconds\":[";
    for (size_t i = 0; i < delays_seconds.size(); ++i) {
      if (i != 0) out += ',';
      out += std::to_string(delays_seconds[i]);
    }
    out += "],";
  }
  out += "\"initial_delay_seconds\":" + std::to_string(initial_delay_seconds);
  out += jitter ? ",\"jitter\":true" : ",\"jitter\":false";
  out += ",\"max_delay_seconds\":" + std::to_string(max_delay_seconds);
  out += ",\"strategy\":\"";
  out += StrategyName(strategy);
  out += "\"}";
  return out;
}

Result<RetryPolicy> ParseRetryPolicy(const nlohmann::json& value) {
  if (!value.is_object()) return InvalidRequest("retry must be an object", "retry");
  RetryPolicy policy;
  for (const auto& [key, item] : value.items()) {
    if (key == "strategy") {
      std::string name = item.is_string() ? item.get<std::string>() : "";
      if (name == "exponential")
        policy.strategy = RetryStrategy::kExponential;
      else if (name == "linear")
        policy.strategy = RetryStrategy::kLinear;
      else if (name == "fixed")
        policy.strategy = RetryStrategy::kFixed;
      else if (name == "custom")
        policy.strategy = RetryStrategy::kCustom;
      else
        return InvalidRequest("retry.strategy must be exponential, linear, fixed or custom",
                              "retry.strategy");
    } else if (key == "initial_delay_seconds") {
      auto seconds = ReadSeconds(item, key, 0);
      if (!seconds) return seconds.error();
      policy.initial_delay_seconds = *seconds;
    } else if (key == "max_delay_seconds") {
      auto seconds = ReadSeconds(item, key, 1);
      if (!seconds) return seconds.error();
      policy.max_delay_seconds = *seconds;
    } else if (key == "delays_seconds") {
      if (!item.is_array() || item.empty() || item.size() > 100) {
        return InvalidRequest("retry.delays_seconds must be a list of 1 to 100 delays",
                              "retry.delays_seconds");
      }
      policy.delays_seconds.clear();
      for (const auto& delay : item) {
        auto seconds = ReadSeconds(delay, key, 0);
        if (!seconds) return seconds.error();
        policy.delays_seconds.push_back(*seconds);
      }
    } else if (key == "jitter") {
      if (!item.is_boolean())
        return InvalidRequest("retry.jitter must be true or false", "retry.jitter");
      policy.jitter = item.get<bool>();
    } else {
      return InvalidRequest("unknown field retry." + key, "retry." + key);
    }
  }
  if (policy.strategy == RetryStrategy::kCustom && policy.delays_seconds.empty()) {
    return InvalidRequest("retry.strategy custom needs retry.delays_seconds",
                          "retry.delays_seconds");
  }
  if (policy.strategy != RetryStrategy::kCustom && !policy.delays_seconds.empty()) {
    return InvalidRequest("retry.delays_seconds is only used with strategy custom",
                          "retry.delays_seconds");
  }
  return policy;
}

std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int failed_attempt,
                                     double unit_random) {
  int n = std::max(1, failed_attempt);
  double seconds = 0;
  switch (policy.strategy) {
    case RetryStrategy::kExponential:
      seconds =
          static_cast<double>(policy.initial_delay_seconds) * std::pow(2.0, std::min(n - 1, 40));
      break;
    case RetryStrategy::kLinear:
      seconds = static_cast<double>(policy.initial_delay_seconds) * n;
      break;
    case RetryStrategy::kFixed:
      seconds = static_cast<double>(policy.initial_delay_seconds);
      break;
    case RetryStrategy::kCustom: {
      size_t index = std::min(static_cast<size_t>(n - 1), policy.delays_seconds.size() - 1);
      seconds =
          static_cast<double>(policy.delays_seconds.empty() ? 0 : policy.delays_seconds[index]);
      break;
    }
  }
  seconds = std::min(seconds, static_cast<double>(policy.max_delay_seconds));
  double millis = seconds * 1000.0;
  if (policy.jitter) millis = millis / 2 + millis / 2 * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(millis));
}

double UnitRandom() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace flare
