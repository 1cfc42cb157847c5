#include "daemon/service/job_export_view.h"

#include <array>
#include <nlohmann/json.hpp>

#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

// The end of the JSON value starting at `at` in compact JSON text (strings, nested objects
// and arrays skipped whole).
size_t ValueEnd(std::string_view text, size_t at) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = at; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // the end of the enclosing object
      if (--depth == 0) return i + 1;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return text.size();
}

// The spec fields JobView shows, in the order of kSpecKeys.
constexpr std::array<std::string_view, 11> kSpecKeys = {"concurrency_policy",
                                                        "description",
                                                        "http",
                                                        "misfire_policy",
                                                        "name",
                                                        "priority",
                                                        "retry",
                                                        "run_at",
                                                        "schedule",
                                                        "timeout_seconds",
                                                        "timezone"};

// Raw value text of each wanted top-level field of the stored spec ("" = absent).
std::array<std::string_view, kSpecKeys.size()> SpecFields(std::string_view spec) {
  std::array<std::string_view, kSpecKeys.size()> found{};
  size_t i = spec.find('{');
  if (i == std::string_view::npos) return found;
  ++i;
  while (i < spec.size() && spec[i] == '"') {
    size_t key_end = ValueEnd(spec, i);
    std::string_view key = spec.substr(i + 1, key_end - i - 2);
    size_t value_start = key_end + 1;  // past ':'
    size_t value_end = ValueEnd(spec, value_start);
    for (size_t k = 0; k < kSpecKeys.size(); ++k) {
      if (kSpecKeys[k] == key) found[k] = spec.substr(value_start, value_end - value_start);
    }
    i = value_end + 1;  // past ','
  }
  return found;
}

class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  ~ObjectWriter() { out_.push_back('}'); }
  std::string& Key(std::string_view key) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(key);
    out_.append("\":");
    return out_;
  }
  void Raw(std::string_view key, std::string_view json) {
    Key(key).append(json.empty() ? std::string_view("null") : json);
  }
  void Text(std::string_view key, const std::string& text) {
    if (text.empty()) return Raw(key, "null");
    AppendJsonString(Key(key), text);
  }
  void Time(std::string_view key, const OptTime& t) {
    if (!t) return Raw(key, "null");
    Key(key).append("\"").append(FormatTime(*t)).append("\"");
  }
  void Int(std::string_view key, int64_t value) { Key(key).append(std::to_string(value)); }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t plain = 0;  // start of the run of characters that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c == '\b') {
      out.append("\\b");
    } else if (c == '\f') {
      out.append("\\f");
    } else {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  out.append(text.substr(plain));
  out.push_back('"');
}

void AppendJobJson(std::string& out, const JobRecord& job) {
  auto spec = SpecFields(job.spec_text);
  auto field = [&](std::string_view key) {
    for (size_t k = 0; k < kSpecKeys.size(); ++k) {
      if (kSpecKeys[k] == key) return spec[k];
    }
    return std::string_view();
  };
  std::string http;
  if (!field("http").empty()) {
    // Header values are masked exactly as JobView masks them.
    JobRecord masked;
    masked.spec = nlohmann::json::object();
    masked.spec["http"] = nlohmann::json::parse(field("http"), nullptr, false);
    http = JobView(masked)["http"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  ObjectWriter o(out);
  // JobView's keys, in its (alphabetical) order.
  o.Int("attempt", job.attempt);
  o.Time("completed_at", job.completed_at);
  o.Raw("concurrency_policy", field("concurrency_policy"));
  o.Time("created_at", job.created_at);
  o.Time("deleted_at", job.deleted_at);
  o.Raw("description", field("description"));
  if (job.duration_ms) {
    o.Int("duration_ms", *job.duration_ms);
  } else {
    o.Raw("duration_ms", "null");
  }
  o.Key("enabled").append(job.enabled ? "true" : "false");
  o.Raw("error", job.error_text);
  o.Raw("http", http);
  o.Text("id", job.id);
  o.Text("idempotency_key", job.idempotency_key);
  o.Text("job_type", job.job_type);
  o.Text("last_run_id", job.last_run_id);
  o.Int("max_attempts", job.max_attempts);
  o.Raw("misfire_policy", field("misfire_policy"));
  o.Raw("name", field("name"));
  o.Time("next_retry_at", job.next_retry_at);
  o.Time("next_run_at", job.next_run_at);
  o.Text("parent_job_id", job.parent_job_id);
  o.Raw("payload", job.payload_text);
  o.Raw("priority", field("priority"));
  o.Raw("progress", job.progress ? nlohmann::json(*job.progress).dump() : "null");
  o.Text("queue", job.queue);
  o.Raw("retry", field("retry"));
  o.Raw("run_at", field("run_at"));
  o.Raw("schedule", field("schedule"));
  o.Text("slug", job.slug);
  o.Time("started_at", job.started_at);
  o.Text("state", job.state);
  o.Raw("tags", job.tags_text);
  o.Raw("timeout_seconds", field("timeout_seconds"));
  o.Raw("timezone", field("timezone"));
  o.Time("updated_at", job.updated_at);
  o.Int("version", job.version);
}

}  // namespace flare::daemon
