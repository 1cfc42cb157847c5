#pragma once
// Members of one JSON object written as text, byte for byte as nlohmann's dump of the same
// object (strings through AppendJsonString, times through AppendTime). Each key is given with
// its separator and colon, as in `",\"queue\":"` (the first with '{'), in nlohmann's sorted
// key order, so a member costs one append for its key. Used where building and dumping an
// object per answer or per exported row cost more than the rest of the work.

#include <charconv>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_escape.h"
#include "common/time_append.h"
#include "daemon/store/records.h"  // OptTime

namespace flare::daemon {

class JsonMembers {
 public:
  explicit JsonMembers(std::string& out) : out_(out) {}
  /// JSON text as it is; empty text is null.
  void Raw(std::string_view key, std::string_view json) {
    out_.append(key);
    out_.append(json.empty() ? std::string_view("null") : json);
  }
  void String(std::string_view key, std::string_view text) {
    out_.append(key);
    AppendJsonString(out_, text);
  }
  /// null for "" (an unset optional text).
  void TextOrNull(std::string_view key, std::string_view text) {
    if (text.empty()) return Raw(key, {});
    String(key, text);
  }
  void Int(std::string_view key, int64_t value) {
    out_.append(key);
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out_.append(digits, static_cast<size_t>(end - digits));
  }
  void Time(std::string_view key, TimePoint time) {
    out_.append(key);
    out_.push_back('"');
    AppendTime(out_, time);
    out_.push_back('"');
  }
  void Time(std::string_view key, const OptTime& time) {
    if (!time) return Raw(key, {});
    Time(key, *time);
  }
  /// A value built as a json object (a rare or small member).
  void Json(std::string_view key, const nlohmann::json& value) {
    out_.append(key);
    out_.append(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  void End() { out_.push_back('}'); }

 private:
  std::string& out_;
};

}  // namespace flare::daemon
