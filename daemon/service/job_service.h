#pragma once
// Jobs: create (single, batch, idempotent), read, list, update, delete, cancel, retry,
// history. Validation happens before the writer; rules that need the database (slugs,
// parents, idempotency) run inside the transaction.

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/page.h"
#include "daemon/store/job_store.h"

namespace flare::daemon {

struct CreatedJob {
  JobRecord job;          // the row as created (empty for a replay)
  bool replayed = false;  // an Idempotency-Key replay of an earlier create
  std::string id;         // the job's id, also for a replay
  /// For a replay: the first create's answer, kept verbatim when it was made.
  nlohmann::json replayed_answer;
};

class JobService {
 public:
  explicit JobService(ServiceContext context) : ctx_(context) {}

  Result<CreatedJob> Create(const std::string& project_id, const nlohmann::json& body,
                            const std::string& idempotency_header);
  /// Up to 1000 jobs in one transaction: all are created or none; one CreatedJob per item,
  /// in order. When items are refused, `item_errors` (if given) receives one
  /// {index, field, code, message} per bad item.
  Result<std::vector<CreatedJob>> CreateBatch(const std::string& project_id,
                                              const nlohmann::json& body,
                                              nlohmann::json* item_errors = nullptr);
  Result<JobRecord> Get(const std::string& project_id, const std::string& id_or_slug);
  Result<Page<JobRecord>> List(const std::string& project_id, const JobFilter& filter,
                               const std::string& cursor, int limit);
  /// The job as updated (PATCH: a merge onto its current body; job_update.cc).
  Result<JobRecord> Update(const std::string& project_id, const std::string& id_or_slug,
                           const nlohmann::json& patch);
  /// The job as deleted (soft: deleted_at is set; its runs not started are cancelled).
  Result<JobRecord> Delete(const std::string& project_id, const std::string& id_or_slug);
  /// The job as cancelled, with its runs not started.
  Result<JobRecord> Cancel(const std::string& project_id, const std::string& id_or_slug);
  /// The job with its latest run made ready again.
  Result<JobRecord> Retry(const std::string& project_id, const std::string& id_or_slug);
  /// The job's history, newest first.
  Result<Page<EventRecord>> Events(const std::string& project_id, const std::string& id_or_slug,
                                   const std::string& cursor, int limit);

 private:
  ServiceContext ctx_;
};

/// 404 job_not_found for `id`.
Error JobNotFound(const std::string& id);

}  // namespace flare::daemon
