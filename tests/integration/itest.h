#pragma once
// Shared helpers of the integration suite: one real flared per test suite, unique queue
// names per test (so suites sharing a daemon never see each other's jobs), and short
// wrappers for the calls most tests make. Assertions are about SPEC.md and seed 004, never
// about how flared happens to be written.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testutil/flared_process.h"

namespace flare::testing {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// SIGTERM → exit 0, and no sanitizer report anywhere in the daemon's log.
void ExpectCleanShutdown(FlaredProcess& flared);
/// The daemon answers /healthz and its log has no sanitizer report so far.
void ExpectHealthy(const FlaredProcess& flared);

/// A fixture whose test suite shares one flared, started before its first test.
class FlaredSuite : public ::testing::Test {
 public:
  static void SetUpTestSuite() { shared_ = std::make_unique<FlaredProcess>(); }
  static void TearDownTestSuite() {
    ExpectCleanShutdown(*shared_);
    shared_.reset();
  }
  static FlaredProcess& flared() { return *shared_; }

 private:
  static inline std::unique_ptr<FlaredProcess> shared_;
};

/// "<prefix>-<test name>-<n>", unique within the program; a fresh queue for each test.
std::string Unique(const std::string& prefix);

/// A minimal worker job body in `queue`, with `extra` fields merged in.
json JobBody(const std::string& queue, const json& extra = json::object());

/// POST /flare/v1/jobs; records a failure unless 201. Returns the answer's JSON.
json CreateJob(const FlaredProcess& flared, const json& body);
/// GET /flare/v1/jobs/{id}; records a failure unless 200.
json GetJob(const FlaredProcess& flared, const std::string& id);
/// flared's log when it did not answer at all (status 0), to tell a crash from a refusal.
std::string LogIfGone(const FlaredProcess& flared, const HttpReply& reply);
/// The ids of a list answer's page, in order.
std::vector<std::string> IdsOf(const json& page);

/// POST /flare/v1/workers/poll for one queue; records a failure unless 200. Returns "jobs".
json Poll(const FlaredProcess& flared, const std::string& worker, const std::string& queue,
          int max_jobs = 1, int wait_seconds = 0);
/// POST /flare/v1/workers/ack for a claim as returned by Poll.
HttpReply Ack(const FlaredProcess& flared, const json& claim, const std::string& worker,
              const std::string& status, const json& extra = json::object());

/// Checks a SPEC §1 error answer: status, error.code and (when given) error.field.
::testing::AssertionResult IsError(const HttpReply& reply, int status, const std::string& code,
                                   const std::string& field = "");

/// Waits (bounded) until GET /jobs/{id} shows `state`; returns the last job seen.
json WaitForState(const FlaredProcess& flared, const std::string& id, const std::string& state,
                  milliseconds timeout = seconds(10));

/// True for SPEC §1 output times: "2026-03-18T15:30:00.123Z".
bool IsUtcMillis(const std::string& text);
/// True for "<prefix>_" followed by 26 Crockford base-32 characters.
bool IsPrefixedId(const std::string& text, const std::string& prefix);

/// Milliseconds between two steady-clock instants.
inline double MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace flare::testing
