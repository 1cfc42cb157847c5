#pragma once
// The wire form of what workers are handed (seed 000's poll answer).

#include <nlohmann/json.hpp>

#include "daemon/service/claimed_run.h"

namespace flare::daemon {

/// {"jobs": [{id, run_id, lease_id, job_type, queue, payload, attempt, max_attempts,
/// timeout_seconds, tags, lease_expires_at}, ...]}; the payloads are moved, not copied.
nlohmann::json PollAnswerView(ClaimedRuns claimed);

}  // namespace flare::daemon
