#pragma once
// Rows as flared's domain sees them. Optional times are std::nullopt when the column is
// NULL; JSON columns are nlohmann::json (null when NULL), except a job's payload and tags,
// which stay text until something shows them (StoredJson).

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/job_spec.h"
#include "common/run_state.h"
#include "common/time_format.h"

namespace flare::daemon {

using OptTime = std::optional<TimePoint>;

// A JSON column of a row (a job's payload or tags) as the store holds it: its text.
//
// The writer reads a job at every claim and every ack, and neither looks at the payload or
// the tags: parsing them there cost ~14 % of flared's CPU per job under poll→ack. So a row read
// from the store keeps the column's text, written back as it was read, and whoever shows
// the value (a view, the poll's answer) parses it on its own thread. A value built by
// flared (a create, a PATCH) keeps the value too, so that its answer does not parse what
// it has just serialized.
class StoredJson {
 public:
  /// JSON null (a NULL column).
  StoredJson() = default;

  /// A value flared built; serialized once, here.
  static StoredJson Of(nlohmann::json value) {
    StoredJson json;
    if (!value.is_null()) json.text_ = value.dump();
    json.value_ = std::move(value);
    return json;
  }

  /// A column's text as the store returned it; empty for NULL.
  static StoredJson FromColumn(std::string text) {
    StoredJson json;
    json.text_ = std::move(text);
    return json;
  }

  bool is_null() const { return text_.empty(); }

  /// The serialized value; empty when it is null (the store writes NULL).
  const std::string& text() const { return text_; }

  /// The value: the one it was built from, else parsed from the text now (each call parses
  /// again: a record is read by several threads, so nothing is cached in it).
  nlohmann::json value() const {
    if (value_) return *value_;
    if (text_.empty()) return nullptr;
    return nlohmann::json::parse(text_, nullptr, /*allow_exceptions=*/false);
  }

 private:
  std::string text_;
  std::optional<nlohmann::json> value_;
};

/// The earlier of two times, either of which may be absent.
inline OptTime Earliest(OptTime a, OptTime b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

/// A job's `spec` column as a read found it, with its parse (stored_spec.h).
struct ParsedSpec {
  std::string text;
  JobSpec spec;
};

struct JobRecord {
  int64_t rowid = 0;
  std::string id;
  std::string project_id;
  std::string slug;
  std::string job_type;
  std::string queue;
  StoredJson payload = StoredJson::FromColumn("{}");
  StoredJson tags;
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
  /// The serialized spec, filled when a record is built off the writer thread so the
  /// writer does not serialize it; empty means "serialize the spec at write" (whoever
  /// changes the spec clears it).
  std::string spec_text;
  /// What the `spec` column held when this record was read, parsed (null for a record
  /// built in memory). Never written back: it lets a later read of the same job on the
  /// writer skip the parse (RememberSpec), and is only found while the column is unchanged.
  std::shared_ptr<const ParsedSpec> stored_spec;
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
  // An HTTP run's call and outcome, kept as their column text: every state change re-wrote
  // them and every read of the run parsed them, where only views and exports need values.
  StoredJson request;
  StoredJson result;
  StoredJson trace;
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
