#include "daemon/service/claimed_run.h"

namespace flare::daemon {

ClaimedRun ClaimOf(const JobRecord& job, const RunRecord& run) {
  return ClaimedRun{.job_id = job.id,
                    .run_id = run.id,
                    .lease_id = run.lease_id,
                    .job_type = run.job_type,
                    .queue = run.queue,
                    .payload = run.payload.is_null() ? job.payload : StoredJson::Of(run.payload),
                    .tags = job.tags,
                    .attempt = run.attempt,
                    .max_attempts = run.max_attempts,
                    .timeout_seconds = run.timeout_seconds,
                    .lease_expires_at = run.lease_expires_at};
}

}  // namespace flare::daemon
