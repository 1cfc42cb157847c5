#pragma once
// The wire form of what workers are handed and told (seed 000's worker answers).

#include <nlohmann/json.hpp>

#include "daemon/service/claimed_run.h"
#include "daemon/service/worker_service.h"

namespace flare::daemon {

/// {"jobs": [{id, run_id, lease_id, job_type, queue, payload, attempt, max_attempts,
/// timeout_seconds, tags, lease_expires_at}, ...]}; the payloads are moved, not copied.
nlohmann::json PollAnswerView(ClaimedRuns claimed);

/// {worker_id, heartbeat_interval_seconds, ack_next}
nlohmann::json RegistrationView(const Registration& registration);
/// {job_id, run_id, state, children_activated}
nlohmann::json AckView(const AckOutcome& ack);
/// {"results": [each ack's answer with "status": 200, or its error with its HTTP status]}
nlohmann::json AckListView(const AckListOutcome& acks);
/// An ack's answer (AckView or AckListView) plus, when it asked for its next jobs,
/// "jobs": [...] as a poll answers them; the payloads are moved.
nlohmann::json AckReplyView(AckReply reply);
nlohmann::json AckListReplyView(AckListReply reply);
/// {ok, cancel: [job ids], cancel_runs: [run ids]}
nlohmann::json HeartbeatView(const HeartbeatReply& reply);
/// {ok, job_id, progress}
nlohmann::json ProgressView(const ProgressRecorded& progress);
/// The SPEC §1 list shape, one page holding every worker.
nlohmann::json WorkerListView(const WorkerList& list);

}  // namespace flare::daemon
