#pragma once
// The states of a run, and of a job, which mirrors its latest run (SPEC §3), with their wire
// and database spelling. In common/ because the spelling is part of the wire format both
// programs speak: flared stores and serves it, flarectl reads it back.

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>

namespace flare {

enum class RunState : uint8_t {
  kPending,     // ready to be claimed or sent
  kScheduled,   // waiting for run_at, a cron fire, a parent, or a resume
  kProcessing,  // claimed by a worker, or an HTTP call in flight
  kSucceeded,   // terminal
  kFailed,      // an attempt failed and a retry is due
  kDeadLetter,  // terminal: out of attempts
  kCancelled,   // terminal
};

/// A job's state is its latest run's state (or kScheduled while a recurring job waits for
/// its first fire), so the two share one set of values; one type keeps `job.state =
/// run.state` a plain copy.
using JobState = RunState;

/// Every state, in declaration order.
inline constexpr std::array<RunState, 7> kAllRunStates = {
    RunState::kPending, RunState::kScheduled,  RunState::kProcessing, RunState::kSucceeded,
    RunState::kFailed,  RunState::kDeadLetter, RunState::kCancelled,
};

/// The wire and database spelling, e.g. "dead_letter": a view of a static literal (so it is
/// NUL-terminated and lives forever; binding it needs no copy).
constexpr std::string_view ToString(RunState state) {
  switch (state) {
    case RunState::kPending:
      return "pending";
    case RunState::kScheduled:
      return "scheduled";
    case RunState::kProcessing:
      return "processing";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
    case RunState::kDeadLetter:
      return "dead_letter";
    case RunState::kCancelled:
      return "cancelled";
  }
  return "";  // unreachable for a valid enumerator
}

/// The state spelled `text`; std::nullopt for anything else (the caller decides whether
/// that is a client's mistake or a damaged row).
std::optional<RunState> ParseRunState(std::string_view text);

/// Succeeded, dead_letter and cancelled: nothing will happen to the run (or job) any more.
constexpr bool IsTerminal(RunState state) {
  return state == RunState::kSucceeded || state == RunState::kDeadLetter ||
         state == RunState::kCancelled;
}

/// JSON holds a state as its wire spelling (nlohmann would write an enum's number).
void to_json(nlohmann::json& json, RunState state);
/// Throws nlohmann::json::type_error unless `json` is a known state's spelling.
void from_json(const nlohmann::json& json, RunState& state);

}  // namespace flare
