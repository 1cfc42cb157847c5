#pragma once
// The wire form of what workers are handed and told (seed 000's worker answers).

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/service/claimed_run.h"
#include "daemon/service/worker_service.h"

namespace flare::daemon {

/// {"jobs": [{id, run_id, lease_id, job_type, queue, payload, attempt, max_attempts,
/// timeout_seconds, tags, lease_expires_at}, ...]} as text, byte for byte nlohmann's dump of
/// the same object; the payloads and tags as they are stored.
std::string PollAnswerText(const ClaimedRuns& claimed);

/// {worker_id, heartbeat_interval_seconds, ack_next}
nlohmann::json RegistrationView(const Registration& registration);
/// {job_id, run_id, state, children_activated}
nlohmann::json AckView(const AckOutcome& ack);
/// {"results": [each ack's answer with "status": 200, or its error with its HTTP status]}
nlohmann::json AckListView(const AckListOutcome& acks);
/// An ack's answer (AckView or AckListView) plus, when it asked for its next jobs,
/// "jobs": [...] as a poll answers them; as text, like PollAnswerText.
std::string AckReplyText(const AckReply& reply);
std::string AckListReplyText(const AckListReply& reply);
/// {ok, cancel: [job ids], cancel_runs: [run ids]}
nlohmann::json HeartbeatView(const HeartbeatReply& reply);
/// {ok, job_id, progress}
nlohmann::json ProgressView(const ProgressRecorded& progress);
/// The SPEC §1 list shape, one page holding every worker.
nlohmann::json WorkerListView(const WorkerList& list);

}  // namespace flare::daemon
