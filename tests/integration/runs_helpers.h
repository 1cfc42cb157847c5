#pragma once
// Helpers of the HTTP-job, schedule, runs and restart integration tests (issue 3): job
// bodies aimed at the TestHttpServer sink, run and event reads, and bounded waits on a run's
// state. Every wait has a deadline; nothing sleeps to let a condition come true.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/itest.h"
#include "tests/testutil/flared_process.h"

namespace flare::testing::runs_itest {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// An HTTP job body aimed at `url`; `http_extra` is merged into "http", `extra` into the body.
json HttpJobBody(const std::string& url, const json& http_extra = json::object(),
                 const json& extra = json::object());

/// A request spec with method GET (for HTTP job bodies).
inline json GetMethod() { return {{"method", "GET"}}; }
/// GET /flare/v1/runs/{id}; records a failure unless 200. (CreateJob and GetJob: itest.h.)
json GetRun(const FlaredProcess& flared, const std::string& id);
/// Every run of a job (GET /flare/v1/runs?job=…, all pages), newest first.
std::vector<json> RunsOfJob(const FlaredProcess& flared, const std::string& job);
/// The job's event history (GET /flare/v1/jobs/{id}/events), oldest first as served.
std::vector<json> EventsOfJob(const FlaredProcess& flared, const std::string& job);
/// How many events of `type` a job has.
int CountEvents(const FlaredProcess& flared, const std::string& job, const std::string& type);

/// Waits until the job has a run (last_run_id) and returns its id ("" after `timeout`).
std::string WaitForFirstRun(const FlaredProcess& flared, const std::string& job,
                            milliseconds timeout = seconds(10));
/// Waits until `predicate(run)` holds; returns the last run seen.
json WaitForRun(const FlaredProcess& flared, const std::string& run_id,
                const std::function<bool(const json&)>& predicate,
                milliseconds timeout = seconds(10));
/// Waits until the run is in `state`.
json WaitForRunState(const FlaredProcess& flared, const std::string& run_id,
                     const std::string& state, milliseconds timeout = seconds(10));
/// Waits until the run is terminal (succeeded, dead_letter, cancelled).
json WaitForRunDone(const FlaredProcess& flared, const std::string& run_id,
                    milliseconds timeout = seconds(10));

/// Creates an HTTP job and waits for its first run to end; returns that run.
json RunHttpJobOnce(const FlaredProcess& flared, const json& body,
                    milliseconds timeout = seconds(10));

/// Milliseconds since the epoch of an RFC 3339 string (records a failure when it is not one).
int64_t Millis(const json& rfc3339);
/// Milliseconds since the epoch, now.
int64_t NowMillis();
/// An RFC 3339 instant `delay` from now.
std::string TimeFromNow(milliseconds delay);

/// SPEC §1 error answer check: status, error.code and (when given) error.field.
::testing::AssertionResult IsApiError(const HttpReply& reply, int status, const std::string& code,
                                      const std::string& field = "");

}  // namespace flare::testing::runs_itest
