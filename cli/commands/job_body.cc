#include "cli/commands/job_body.h"

#include <sstream>

#include "cli/cli_error.h"
#include "cli/output.h"
#include "cli/payload.h"

namespace flare::cli {
namespace {

enum class Kind { kString, kInt, kSeconds, kTime, kStatus };

struct FieldFlag {
  const char* flag;
  const char* field;
  Kind kind;
  const char* help;
};

// The flags that map one-to-one onto a body field.
constexpr FieldFlag kFieldFlags[] = {
    {"--type,--job-type", "job_type", Kind::kString, "Job type (required for worker jobs)"},
    {"--queue", "queue", Kind::kString, "Queue name (default \"default\")"},
    {"--run-at", "run_at", Kind::kTime, "Run once at this RFC 3339 time (or +5m from now)"},
    {"--max-attempts", "max_attempts", Kind::kInt, "Attempts before dead_letter (1-100)"},
    {"--timeout", "timeout_seconds", Kind::kSeconds, "Per-attempt timeout, e.g. 30s or 5m"},
    {"--parent", "parent_job_id", Kind::kString, "Run as a continuation of this job"},
    {"--priority", "priority", Kind::kInt, "Priority -100..100 (higher first)"},
    {"--name", "name", Kind::kString, "Display name"},
    {"--slug", "slug", Kind::kString, "Unique handle usable instead of the id"},
    {"--description", "description", Kind::kString, "Free text"},
    {"--schedule", "schedule", Kind::kString, "now | RFC 3339 time | cron | @every 5m"},
    {"--tz", "timezone", Kind::kString, "IANA time zone for --schedule (default UTC)"},
    {"--misfire", "misfire_policy", Kind::kString, "run_once | skip | run_all"},
    {"--concurrency-policy", "concurrency_policy", Kind::kString, "allow | forbid | replace"},
    {"--url", "http.url", Kind::kString, "HTTP job: target URL (flared performs the request)"},
    {"--method", "http.method", Kind::kString, "HTTP job: GET POST PUT PATCH DELETE"},
    {"--body", "http.body", Kind::kString, "HTTP job: request body"},
    {"--success-status", "http.success_status", Kind::kStatus, "HTTP job: 200 or 2xx"},
    {"--follow-redirects", "http.follow_redirects", Kind::kInt, "HTTP job: follow N redirects"},
    {"--retry", "retry.strategy", Kind::kString, "exponential | linear | fixed | custom"},
    {"--max-delay", "retry.max_delay_seconds", Kind::kSeconds, "Longest retry delay, e.g. 1h"},
};

nlohmann::json ToInt(const std::string& value, const std::string& flag) {
  try {
    size_t used = 0;
    long long number = std::stoll(value, &used);
    if (used == value.size()) return number;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " wants an integer, not '" + value + "'");
}

nlohmann::json ToSeconds(const std::string& value, const std::string& flag) {
  auto parsed = ParseDuration(value);
  if (!parsed.ok())
    throw UsageError(flag + " wants a duration like 30s or 5m, not '" + value + "'");
  return parsed->count();
}

nlohmann::json ToTime(const std::string& value, const std::string& flag, TimePoint now) {
  if (!value.empty() && value[0] == '+') {
    auto delay = ParseDuration(value.substr(1));
    if (!delay.ok()) throw UsageError(flag + " '+" + value.substr(1) + "' is not a duration");
    return FormatTime(now + std::chrono::duration_cast<std::chrono::milliseconds>(*delay));
  }
  if (!ParseTime(value).ok()) {
    throw UsageError(flag + " wants an RFC 3339 time like 2026-03-18T15:30:00Z or +10m");
  }
  return value;
}

nlohmann::json Convert(const FieldFlag& spec, const std::string& value, TimePoint now) {
  std::string flag = spec.flag;
  flag = flag.substr(0, flag.find(','));
  switch (spec.kind) {
    case Kind::kInt:
      return ToInt(value, flag);
    case Kind::kSeconds:
      return ToSeconds(value, flag);
    case Kind::kTime:
      return ToTime(value, flag, now);
    case Kind::kStatus:
      if (value.find_first_not_of("0123456789") == std::string::npos) return ToInt(value, flag);
      return value;
    case Kind::kString:
      break;
  }
  return value;
}

}  // namespace

std::pair<std::string, std::string> SplitPair(const std::string& text, char separator,
                                              const std::string& flag) {
  size_t at = text.find(separator);
  if (at == std::string::npos || at == 0) {
    throw UsageError(flag + " wants key" + separator + "value, not '" + text + "'");
  }
  return {text.substr(0, at), text.substr(at + 1)};
}

void SetPath(nlohmann::json& body, const std::string& path, nlohmann::json value) {
  nlohmann::json* node = &body;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    nlohmann::json& child = (*node)[path.substr(start, dot - start)];
    if (!child.is_object()) child = nlohmann::json::object();
    node = &child;
    start = dot + 1;
  }
  (*node)[path.substr(start)] = std::move(value);
}

void JobFlags::Add(CLI::App* command, BodyMode mode) {
  command_ = command;
  const char* group = "Job fields";
  for (const auto& spec : kFieldFlags) {
    command->add_option(spec.flag, values_[spec.field], spec.help)->group(group);
  }
  command->add_option("--payload", payload_, "Payload JSON: '{...}', @file or - (stdin)")
      ->group(group);
  command->add_option("--tag", tags_, "Tag key=value (repeatable)")->group(group);
  command->add_option("--header", headers_, "HTTP job: 'Name: value' (repeatable)")->group(group);
  command->add_option("--ca-cert", ca_cert_, "HTTP job: PEM file of trusted CAs")->group(group);
  command->add_flag("--insecure", insecure_, "HTTP job: do not verify TLS certificates")
      ->group(group);
  command
      ->add_option("--retry-delay", retry_delay_,
                   "First retry delay (e.g. 10s); for --retry custom a list: 10s,1m,5m")
      ->group(group);
  command->add_flag("--disabled", disabled_, "Create or set the job paused (enabled=false)")
      ->group(group);
  command->add_option("--from-file", from_file_, "Whole JSON body from a file (- for stdin)")
      ->group(group);
  if (mode == BodyMode::kCreate) {
    command
        ->add_option("--idempotency-key", idempotency_key_,
                     "Sent as the Idempotency-Key header (same key + body = same job)")
        ->group(group);
  } else {
    command->add_option("--set", sets_, "Set any field: key=value (JSON values allowed; a.b=c)")
        ->group(group);
  }
}

nlohmann::json JobFlags::Build(std::istream& in, TimePoint now) const {
  nlohmann::json body = nlohmann::json::object();
  if (!from_file_.empty()) {
    body = ParseJsonArg(from_file_ == "-" ? "-" : "@" + from_file_, in, "--from-file");
    if (!body.is_object()) throw UsageError("--from-file must hold one JSON object");
  }
  ApplyScalars(body, now);
  ApplyHttp(body, in);
  ApplyRetry(body);
  ApplyLists(body);
  if (!payload_.empty()) body["payload"] = ParseJsonArg(payload_, in, "--payload");
  if (disabled_) body["enabled"] = false;
  return body;
}

void JobFlags::ApplyScalars(nlohmann::json& body, TimePoint now) const {
  for (const auto& spec : kFieldFlags) {
    std::string flag = spec.flag;
    if (command_->count(flag.substr(0, flag.find(','))) == 0) continue;
    SetPath(body, spec.field, Convert(spec, values_.at(spec.field), now));
  }
}

void JobFlags::ApplyHttp(nlohmann::json& body, std::istream& in) const {
  if (!headers_.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& header : headers_) {
      auto [name, value] = SplitPair(header, ':', "--header");
      size_t first = value.find_first_not_of(' ');
      list.push_back(
          {{"name", name}, {"value", first == std::string::npos ? "" : value.substr(first)}});
    }
    SetPath(body, "http.headers", std::move(list));
  }
  if (!ca_cert_.empty()) SetPath(body, "http.ca_cert", ReadFileText(ca_cert_, in));
  if (insecure_) SetPath(body, "http.tls_verify", false);
}

void JobFlags::ApplyRetry(nlohmann::json& body) const {
  if (retry_delay_.empty()) return;
  const auto& given = FieldOf(body, "retry.strategy");
  std::string strategy = given.is_string() ? given.get<std::string>() : "";
  if (strategy == "custom" || retry_delay_.find(',') != std::string::npos) {
    nlohmann::json delays = nlohmann::json::array();
    std::stringstream list(retry_delay_);
    for (std::string item; std::getline(list, item, ',');) {
      delays.push_back(ToSeconds(item, "--retry-delay"));
    }
    SetPath(body, "retry.delays_seconds", std::move(delays));
    if (strategy.empty()) SetPath(body, "retry.strategy", "custom");
  } else {
    SetPath(body, "retry.initial_delay_seconds", ToSeconds(retry_delay_, "--retry-delay"));
  }
}

void JobFlags::ApplyLists(nlohmann::json& body) const {
  for (const auto& tag : tags_) {
    auto [key, value] = SplitPair(tag, '=', "--tag");
    body["tags"][key] = value;
  }
  for (const auto& set : sets_) {
    auto [key, value] = SplitPair(set, '=', "--set");
    auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    SetPath(body, key, parsed.is_discarded() ? nlohmann::json(value) : parsed);
  }
}

}  // namespace flare::cli
