#pragma once
// What a client may say about a job (POST /jobs body, or the merged result of a PATCH),
// validated with the limits of seed 004 and SPEC §2, §4, §5.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/backoff.h"
#include "common/http_target.h"
#include "common/result.h"
#include "common/time_format.h"

namespace flare {

enum class ConcurrencyPolicy { kAllow, kForbid, kReplace };
enum class MisfirePolicy { kRunOnce, kSkip, kRunAll };

std::string_view ConcurrencyPolicyName(ConcurrencyPolicy p);
std::string_view MisfirePolicyName(MisfirePolicy p);

struct JobSpec {
  std::string job_type;  // "http" by default for HTTP jobs; required otherwise
  nlohmann::json payload = nlohmann::json::object();
  std::string queue = "default";
  std::optional<TimePoint> run_at;
  int max_attempts = 3;
  int timeout_seconds = 0;  // 0 until defaulted: 30 for HTTP jobs, 1800 for worker jobs
  std::string idempotency_key;
  nlohmann::json tags = nullptr;  // object of string → string, or null
  std::string parent_job_id;
  std::string name;
  std::string slug;
  std::string description;
  std::string schedule;  // "" = now; an instant, a cron expression or @every
  std::string timezone = "UTC";
  std::optional<HttpTarget> http;
  RetryPolicy retry;
  int priority = 0;
  ConcurrencyPolicy concurrency_policy = ConcurrencyPolicy::kAllow;
  MisfirePolicy misfire_policy = MisfirePolicy::kRunOnce;
  bool enabled = true;

  bool is_http() const { return http.has_value(); }
};

enum class SpecUse { kCreate, kUpdate };

/// Validates a create body (or, with kUpdate, a job's current spec merged with a patch).
/// Unknown fields are refused by name.
Result<JobSpec> ParseJobSpec(const nlohmann::json& body, SpecUse use = SpecUse::kCreate);

/// The fields of `spec` as a create body would carry them (secrets included): the base a
/// PATCH is merged onto.
nlohmann::json SpecToBody(const JobSpec& spec);
/// SpecToBody without job_type, payload, queue and tags (a job row keeps those in their
/// own columns): what the row's `spec` column holds.
nlohmann::json SpecSettings(const JobSpec& spec);
/// SpecSettings(spec).dump(), byte for byte, written without building the object: every
/// create serializes its spec, and the object's map and keys cost ~20 K instructions of the
/// ~130 K a job in a batch costs its request thread (callgrind).
std::string SpecSettingsText(const JobSpec& spec);
/// A stored `spec` column (SpecSettings' output) read back: the inverse of SpecSettings, so
/// job_type, payload, queue and tags keep their defaults. The column was validated when it
/// was written; a field that no longer passes (a rule made stricter since) keeps its
/// default rather than making the job unreadable, and keys it does not know are ignored.
JobSpec SpecFromSettings(const nlohmann::json& settings);

/// Fields a PATCH may not change.
bool IsImmutableField(std::string_view field);

}  // namespace flare
