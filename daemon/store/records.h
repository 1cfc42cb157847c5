#pragma once
// Rows as flared's domain sees them. Optional times are std::nullopt when the column is
// NULL; JSON columns are nlohmann::json (null when NULL).

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/job_spec.h"
#include "common/run_state.h"
#include "common/time_format.h"

namespace flare::daemon {

using OptTime = std::optional<TimePoint>;

/// The earlier of two times, either of which may be absent.
inline OptTime Earliest(OptTime a, OptTime b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

struct JobRecord {
  int64_t rowid = 0;
  std::string id;
  std::string project_id;
  std::string slug;
  std::string job_type;
  std::string queue;
  nlohmann::json payload = nlohmann::json::object();
  nlohmann::json tags;
  /// The job's settings as last validated (create, or PATCH), secrets included. Its
  /// job_type, payload, queue and tags stay at JobSpec's defaults: the fields above hold
  /// them (the `spec` column is SpecSettings of it; SpecFromSettings reads it back).
  JobSpec spec;
  bool is_http = false;
  std::string parent_job_id;
  std::string idempotency_key;
  std::string request_hash;
  bool enabled = true;
  OptTime next_run_at;
  int version = 1;
  std::string last_run_id;
  // Mirrors of the latest run.
  JobState state = JobState::kScheduled;
  int attempt = 0;
  int max_attempts = 3;
  OptTime started_at;
  OptTime completed_at;
  OptTime next_retry_at;
  std::optional<double> progress;
  std::optional<int64_t> duration_ms;
  nlohmann::json error;
  TimePoint created_at;
  TimePoint updated_at;
  OptTime deleted_at;
  /// Serialized payload/spec/tags, filled when a record is built off the writer thread so
  /// the writer does not serialize; empty means "serialize the field at write" (whoever
  /// changes a field clears its text).
  std::string payload_text;
  std::string spec_text;
  std::string tags_text;
};

struct RunRecord {
  int64_t rowid = 0;
  std::string id;
  std::string project_id;
  std::string job_id;
  int job_version = 1;
  std::string trigger = "API";
  std::string rerun_of;
  OptTime scheduled_for;
  RunState state = RunState::kScheduled;
  int attempt = 0;
  int max_attempts = 3;
  int timeout_seconds = 1800;
  std::string queue;
  std::string job_type;
  int priority = 0;
  bool is_http = false;
  OptTime due_at;  // when a waiting run becomes pending; for pending runs, when it became ready
  OptTime next_retry_at;
  std::string worker_id;
  std::string lease_id;
  OptTime lease_expires_at;
  std::optional<double> progress;
  nlohmann::json payload;  // null = the job's payload
  TimePoint created_at;
  OptTime ready_at;  // when it last became pending (queue wait is measured from here)
  OptTime started_at;
  OptTime completed_at;
  std::optional<int64_t> duration_ms;
  std::string failure_reason;
  nlohmann::json error;
  nlohmann::json request;
  nlohmann::json result;
  nlohmann::json trace;
  bool cancel_requested = false;
  std::string acked_lease_id;
  nlohmann::json ack_response;
  std::string node_id;  // HTTP runs while processing: the flared node performing the call
};

/// A flared process using the database (schema.cc, "nodes").
struct NodeRecord {
  std::string id;
  TimePoint started_at;
  TimePoint last_seen_at;
  OptTime stopped_at;
};

struct EventRecord {
  int64_t rowid = 0;
  std::string id;
  std::string position;  // its place in the log's commit order (event_store.h)
  std::string project_id;
  std::string job_id;
  std::string run_id;
  std::string type;
  TimePoint at;
  std::optional<int> attempt;
  nlohmann::json details;
};

struct WorkerRecord {
  std::string project_id;
  std::string worker_id;
  std::vector<std::string> queues;
  std::vector<std::string> job_types;
  TimePoint registered_at;
  TimePoint last_seen_at;
  int runs_held = 0;
};

struct ApiKeyRecord {
  std::string id;
  std::string project_id;
  std::string name;
  std::string prefix;
  std::string key_hash;  // raw 32 bytes of SHA-256
  std::vector<std::string> scopes;
  TimePoint created_at;
  OptTime revoked_at;
  OptTime last_used_at;
};

/// A local account: the owner of the project its signup created.
struct UserRecord {
  std::string id;
  std::string project_id;
  std::string email;
  std::string name;
  std::string password_hash;  // PasswordHash's self-describing text, never the password
  TimePoint created_at;
};

/// A login session: its token works as an admin key of the user's project until expires_at.
struct SessionRecord {
  std::string id;
  std::string user_id;
  std::string project_id;
  std::string token_hash;  // raw 32 bytes of SHA-256
  TimePoint created_at;
  TimePoint expires_at;
};

/// A position in a newest-first list: the last row of the previous page.
struct PageCursor {
  int64_t created_ms = 0;
  std::string id;
};

}  // namespace flare::daemon
