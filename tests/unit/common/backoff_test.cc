#include "common/backoff.h"

#include <gtest/gtest.h>

namespace flare {
namespace {

using std::chrono::milliseconds;

RetryPolicy Parse(const char* json) {
  auto policy = ParseRetryPolicy(nlohmann::json::parse(json));
  EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message);
  return policy.ok() ? *policy : RetryPolicy{};
}

TEST(Backoff, DefaultsAreExponentialFromTenSecondsWithJitter) {
  RetryPolicy policy = Parse("{}");
  EXPECT_EQ(policy.strategy, RetryStrategy::kExponential);
  EXPECT_EQ(policy.initial_delay_seconds, 10);
  EXPECT_EQ(policy.max_delay_seconds, 3600);
  EXPECT_TRUE(policy.jitter);
}

TEST(Backoff, ExponentialDoublesAndCaps) {
  RetryPolicy policy =
      Parse(R"({"jitter": false, "initial_delay_seconds": 10, "max_delay_seconds": 100})");
  EXPECT_EQ(RetryDelay(policy, 1, 0.0), milliseconds(10'000));
  EXPECT_EQ(RetryDelay(policy, 2, 0.0), milliseconds(20'000));
  EXPECT_EQ(RetryDelay(policy, 3, 0.0), milliseconds(40'000));
  EXPECT_EQ(RetryDelay(policy, 4, 0.0), milliseconds(80'000));
  EXPECT_EQ(RetryDelay(policy, 5, 0.0), milliseconds(100'000));
  EXPECT_EQ(RetryDelay(policy, 99, 0.0), milliseconds(100'000));
}

TEST(Backoff, LinearFixedAndCustom) {
  RetryPolicy linear =
      Parse(R"({"strategy": "linear", "initial_delay_seconds": 5, "jitter": false})");
  EXPECT_EQ(RetryDelay(linear, 3, 0.5), milliseconds(15'000));
  RetryPolicy fixed =
      Parse(R"({"strategy": "fixed", "initial_delay_seconds": 7, "jitter": false})");
  EXPECT_EQ(RetryDelay(fixed, 9, 0.5), milliseconds(7'000));
  RetryPolicy custom =
      Parse(R"({"strategy": "custom", "delays_seconds": [1, 5, 30], "jitter": false})");
  EXPECT_EQ(RetryDelay(custom, 1, 0.0), milliseconds(1'000));
  EXPECT_EQ(RetryDelay(custom, 2, 0.0), milliseconds(5'000));
  EXPECT_EQ(RetryDelay(custom, 3, 0.0), milliseconds(30'000));
  EXPECT_EQ(RetryDelay(custom, 10, 0.0), milliseconds(30'000));  // the last delay repeats
}

TEST(Backoff, JitterStaysWithinHalfToFullDelay) {
  RetryPolicy policy = Parse(R"({"strategy": "fixed", "initial_delay_seconds": 10})");
  EXPECT_EQ(RetryDelay(policy, 1, 0.0), milliseconds(5'000));
  EXPECT_EQ(RetryDelay(policy, 1, 0.999999).count() / 100, 99);
  for (int i = 0; i < 1000; ++i) {
    auto delay = RetryDelay(policy, 1, UnitRandom());
    EXPECT_GE(delay, milliseconds(5'000));
    EXPECT_LE(delay, milliseconds(10'000));
  }
}

TEST(Backoff, RejectsBadPolicies) {
  for (const char* bad : {R"({"strategy": "random"})", R"({"initial_delay_seconds": -1})",
                          R"({"initial_delay_seconds": 1.5})", R"({"max_delay_seconds": 0})",
                          R"({"strategy": "custom"})", R"({"delays_seconds": [1]})",
                          R"({"strategy": "custom", "delays_seconds": []})", R"({"jitter": "yes"})",
                          R"({"backoff": 2})", "[]"}) {
    auto policy = ParseRetryPolicy(nlohmann::json::parse(bad));
    EXPECT_FALSE(policy.ok()) << bad;
  }
  auto unknown = ParseRetryPolicy(nlohmann::json::parse(R"({"backoff": 2})"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "retry.backoff");
}

TEST(Backoff, APolicyAsTextIsTheDumpOfItsObject) {
  for (const char* given :
       {R"({})", R"({"strategy": "linear", "initial_delay_seconds": 0, "jitter": false})",
        R"({"strategy": "fixed", "initial_delay_seconds": 604800, "max_delay_seconds": 604800})",
        R"({"strategy": "custom", "delays_seconds": [1, 30, 3600, 0]})",
        R"({"strategy": "custom", "delays_seconds": [5], "jitter": false})"}) {
    auto policy = ParseRetryPolicy(nlohmann::json::parse(given));
    ASSERT_TRUE(policy.ok()) << given;
    EXPECT_EQ(policy->ToText(), policy->ToJson().dump()) << given;
  }
}

}  // namespace
}  // namespace flare
