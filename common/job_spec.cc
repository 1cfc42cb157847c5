#include "common/job_spec.h"

#include <algorithm>
#include <cctype>

#include "common/json_fields.h"

namespace flare {
namespace {

constexpr size_t kMaxTags = 50;

Status ParseTags(JobSpec& spec, const nlohmann::json& value) {
  if (value.is_null()) {
    spec.tags = nullptr;
    return Ok{};
  }
  nlohmann::json tags = nlohmann::json::object();
  if (value.is_array()) {
    // A list of strings is a set of labels: each becomes a key with value "".
    for (const auto& item : value) {
      auto label = ReadString(item, "tags[]", 100);
      if (!label) return label.error();
      tags[*label] = "";
    }
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (key.empty() || key.size() > 100) {
        return InvalidRequest("tag names must be 1 to 100 characters", "tags");
      }
      if (!item.is_string()) {
        return InvalidRequest("tag '" + key + "' must have a string value (tags are string pairs)",
                              "tags");
      }
      if (item.get_ref<const std::string&>().size() > 500) {
        return InvalidRequest("tag '" + key + "' is longer than 500 characters", "tags");
      }
      tags[key] = item;
    }
  } else {
    return InvalidRequest("tags must be an object of string pairs or a list of strings", "tags");
  }
  if (tags.size() > kMaxTags) return InvalidRequest("a job has at most 50 tags", "tags");
  spec.tags = std::move(tags);
  return Ok{};
}

Status ParseSlug(JobSpec& spec, const nlohmann::json& value) {
  if (value.is_null()) {
    spec.slug.clear();
    return Ok{};
  }
  auto slug = ReadString(value, "slug", 100);
  if (!slug) return slug.error();
  bool valid = std::islower(static_cast<unsigned char>((*slug)[0])) ||
               std::isdigit(static_cast<unsigned char>((*slug)[0]));
  for (char c : *slug) {
    valid =
        valid && (std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  }
  // A slug that looks like an id would make GET /jobs/{id} ambiguous.
  if (!valid || slug->rfind("job_", 0) == 0) {
    return InvalidRequest(
        "slug must start with a lowercase letter or digit, use only a-z 0-9 - _ . "
        "and not start with job_",
        "slug");
  }
  spec.slug = *slug;
  return Ok{};
}

template <typename Enum>
Status ParseEnum(Enum& out, const nlohmann::json& value, std::string_view field,
                 std::initializer_list<std::pair<std::string_view, Enum>> names) {
  std::string text = value.is_string() ? value.get<std::string>() : "";
  for (const auto& [name, e] : names) {
    if (text == name) {
      out = e;
      return Ok{};
    }
  }
  std::string choices;
  for (const auto& [name, e] : names) choices += (choices.empty() ? "" : ", ") + std::string(name);
  return InvalidRequest(std::string(field) + " must be one of " + choices, std::string(field));
}

// Assigns a validated optional string field; null clears it.
Status ReadOptionalText(std::string& out, const nlohmann::json& value, std::string_view field,
                        size_t max_length) {
  if (value.is_null()) {
    out.clear();
    return Ok{};
  }
  auto text = ReadString(value, field, max_length);
  if (!text) return text.error();
  out = *text;
  return Ok{};
}

Status ParseRunAt(JobSpec& spec, const nlohmann::json& value) {
  if (value.is_null()) {
    spec.run_at.reset();
    return Ok{};
  }
  if (!value.is_string()) return InvalidRequest("run_at must be an RFC 3339 time", "run_at");
  auto t = ParseTime(value.get<std::string>());
  if (!t) return Error{ErrorCode::kInvalidRequest, "run_at: " + t.error().message, "run_at"};
  spec.run_at = *t;
  return Ok{};
}

template <typename T>
Status Assign(T& out, Result<T> value) {
  if (!value) return value.error();
  out = std::move(*value);
  return Ok{};
}

Status AssignInt(int& out, const nlohmann::json& value, std::string_view field, int64_t min,
                 int64_t max) {
  auto number = ReadInteger(value, field, min, max);
  if (!number) return number.error();
  out = static_cast<int>(*number);
  return Ok{};
}

// `key` is a string_view so that each test below is a length check, not a strlen and a
// compare: the writer parses a stored spec at each read it does not remember.
Status ParseField(JobSpec& spec, std::string_view key, const nlohmann::json& v) {
  if (key == "job_type") return Assign(spec.job_type, ReadString(v, key, 500));
  if (key == "payload") {
    if (!v.is_object()) return InvalidRequest("payload must be a JSON object", "payload");
    spec.payload = v;
    return Ok{};
  }
  if (key == "queue") return Assign(spec.queue, ReadString(v, key, 100));
  if (key == "run_at") return ParseRunAt(spec, v);
  if (key == "max_attempts") return AssignInt(spec.max_attempts, v, key, 1, 100);
  if (key == "timeout_seconds") return AssignInt(spec.timeout_seconds, v, key, 1, 86400);
  if (key == "idempotency_key") return ReadOptionalText(spec.idempotency_key, v, key, 200);
  if (key == "tags") return ParseTags(spec, v);
  if (key == "parent_job_id") return ReadOptionalText(spec.parent_job_id, v, key, 36);
  if (key == "name") return ReadOptionalText(spec.name, v, key, 200);
  if (key == "slug") return ParseSlug(spec, v);
  if (key == "description") return ReadOptionalText(spec.description, v, key, 2000);
  if (key == "schedule") return ReadOptionalText(spec.schedule, v, key, 200);
  if (key == "timezone") {
    if (v.is_null()) {
      spec.timezone = "UTC";
      return Ok{};
    }
    return Assign(spec.timezone, ReadString(v, key, 64));
  }
  if (key == "http") {
    if (v.is_null()) {
      spec.http.reset();
      return Ok{};
    }
    auto target = ParseHttpTarget(v);
    if (!target) return target.error();
    spec.http = std::move(*target);
    return Ok{};
  }
  if (key == "retry") {
    if (v.is_null()) {
      spec.retry = RetryPolicy{};
      return Ok{};
    }
    return Assign(spec.retry, ParseRetryPolicy(v));
  }
  if (key == "priority") return AssignInt(spec.priority, v, key, -100, 100);
  if (key == "concurrency_policy") {
    return ParseEnum(spec.concurrency_policy, v, key,
                     {{"allow", ConcurrencyPolicy::kAllow},
                      {"forbid", ConcurrencyPolicy::kForbid},
                      {"replace", ConcurrencyPolicy::kReplace}});
  }
  if (key == "misfire_policy") {
    return ParseEnum(spec.misfire_policy, v, key,
                     {{"run_once", MisfirePolicy::kRunOnce},
                      {"skip", MisfirePolicy::kSkip},
                      {"run_all", MisfirePolicy::kRunAll}});
  }
  return Assign(spec.enabled, ReadBool(v, "enabled"));  // the last allowed key
}

}  // namespace

std::string_view ConcurrencyPolicyName(ConcurrencyPolicy p) {
  switch (p) {
    case ConcurrencyPolicy::kAllow:
      return "allow";
    case ConcurrencyPolicy::kForbid:
      return "forbid";
    case ConcurrencyPolicy::kReplace:
      return "replace";
  }
  return "allow";
}

std::string_view MisfirePolicyName(MisfirePolicy p) {
  switch (p) {
    case MisfirePolicy::kRunOnce:
      return "run_once";
    case MisfirePolicy::kSkip:
      return "skip";
    case MisfirePolicy::kRunAll:
      return "run_all";
  }
  return "run_once";
}

bool IsImmutableField(std::string_view field) {
  return field == "idempotency_key" || field == "parent_job_id";
}

Result<JobSpec> ParseJobSpec(const nlohmann::json& body, SpecUse use) {
  if (!body.is_object()) return InvalidRequest("a job must be a JSON object");
  if (auto unknown = RejectUnknownFields(body, {"job_type",
                                                "payload",
                                                "queue",
                                                "run_at",
                                                "max_attempts",
                                                "timeout_seconds",
                                                "idempotency_key",
                                                "tags",
                                                "parent_job_id",
                                                "name",
                                                "slug",
                                                "description",
                                                "schedule",
                                                "timezone",
                                                "http",
                                                "retry",
                                                "priority",
                                                "concurrency_policy",
                                                "misfire_policy",
                                                "enabled"});
      !unknown) {
    return unknown.error();
  }
  JobSpec spec;
  for (const auto& [key, value] : body.items()) {
    if (auto parsed = ParseField(spec, key, value); !parsed) return parsed.error();
  }
  if (!spec.is_http() && spec.job_type.empty()) {
    return InvalidRequest("job_type is required for jobs without an http target", "job_type");
  }
  if (use == SpecUse::kCreate && !spec.is_http() && !body.contains("payload")) {
    return InvalidRequest("payload is required (use {} for none)", "payload");
  }
  if (spec.is_http() && spec.job_type.empty()) spec.job_type = "http";
  if (spec.timeout_seconds == 0) spec.timeout_seconds = spec.is_http() ? 30 : 1800;
  if (spec.run_at && !spec.schedule.empty() && spec.schedule != "now") {
    return InvalidRequest("give either run_at or schedule, not both", "run_at");
  }
  return spec;
}

nlohmann::json SpecToBody(const JobSpec& spec) {
  nlohmann::json body = SpecSettings(spec);
  body["job_type"] = spec.job_type;
  body["payload"] = spec.payload;
  body["queue"] = spec.queue;
  body["tags"] = spec.tags;
  return body;
}

std::string SpecSettingsText(const JobSpec& spec) {
  std::string out = "{";
  auto key = [&out](std::string_view name) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
  };
  // Strings go through nlohmann's serializer: the same escaping and UTF-8 checks as dump().
  auto text = [&out](const std::string& value) { out += nlohmann::json(value).dump(); };
  auto text_if_set = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;  // SpecSettings leaves unset text out
    key(name);
    text(value);
  };
  auto enum_name = [&out](std::string_view name) {  // a fixed name: nothing to escape
    out += '"';
    out += name;
    out += '"';
  };
  // In the order of SpecSettings' keys in its std::map (sorted), which dump() follows.
  key("concurrency_policy");
  enum_name(ConcurrencyPolicyName(spec.concurrency_policy));
  text_if_set("description", spec.description);
  key("enabled");
  out += spec.enabled ? "true" : "false";
  if (spec.http) {
    key("http");
    out += spec.http->ToJson(/*reveal_secrets=*/true).dump();
  }
  key("max_attempts");
  out += std::to_string(spec.max_attempts);
  key("misfire_policy");
  enum_name(MisfirePolicyName(spec.misfire_policy));
  text_if_set("name", spec.name);
  key("priority");
  out += std::to_string(spec.priority);
  key("retry");
  out += spec.retry.ToText();
  if (spec.run_at) {
    key("run_at");
    text(FormatTime(*spec.run_at));
  }
  text_if_set("schedule", spec.schedule);
  text_if_set("slug", spec.slug);
  key("timeout_seconds");
  out += std::to_string(spec.timeout_seconds);
  key("timezone");
  text(spec.timezone);
  out += '}';
  return out;
}

JobSpec SpecFromSettings(const nlohmann::json& settings) {
  static constexpr std::string_view kSettings[] = {
      "max_attempts", "timeout_seconds",    "timezone",       "retry",  "priority",
      "enabled",      "concurrency_policy", "misfire_policy", "run_at", "name",
      "slug",         "description",        "schedule",       "http"};
  JobSpec spec;
  if (settings.is_object()) {
    // One pass over what is stored (no lookup per setting): the fields do not depend on
    // each other's order.
    for (const auto& [key, value] : settings.items()) {
      if (std::find(std::begin(kSettings), std::end(kSettings), key) != std::end(kSettings)) {
        (void)ParseField(spec, key, value);
      }
    }
  }
  if (spec.timeout_seconds == 0) spec.timeout_seconds = spec.is_http() ? 30 : 1800;
  return spec;
}

nlohmann::json SpecSettings(const JobSpec& spec) {
  nlohmann::json body = {{"max_attempts", spec.max_attempts},
                         {"timeout_seconds", spec.timeout_seconds},
                         {"timezone", spec.timezone},
                         {"retry", spec.retry.ToJson()},
                         {"priority", spec.priority},
                         {"concurrency_policy", ConcurrencyPolicyName(spec.concurrency_policy)},
                         {"misfire_policy", MisfirePolicyName(spec.misfire_policy)},
                         {"enabled", spec.enabled}};
  if (spec.run_at) body["run_at"] = FormatTime(*spec.run_at);
  if (!spec.name.empty()) body["name"] = spec.name;
  if (!spec.slug.empty()) body["slug"] = spec.slug;
  if (!spec.description.empty()) body["description"] = spec.description;
  if (!spec.schedule.empty()) body["schedule"] = spec.schedule;
  if (spec.http) body["http"] = spec.http->ToJson(/*reveal_secrets=*/true);
  return body;
}

}  // namespace flare
