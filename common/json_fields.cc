#include "common/json_fields.h"

#include <algorithm>
#include <cmath>

namespace flare {

Result<std::string> ReadString(const nlohmann::json& value, std::string_view field,
                               size_t max_length, size_t min_length) {
  std::string name(field);
  if (!value.is_string()) return InvalidRequest(name + " must be a string", name);
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() < min_length) return InvalidRequest(name + " must not be empty", name);
  if (text.size() > max_length) {
    return InvalidRequest(name + " is longer than " + std::to_string(max_length) + " characters",
                          name);
  }
  return text;
}

Result<int64_t> ReadInteger(const nlohmann::json& value, std::string_view field, int64_t min,
                            int64_t max) {
  std::string name(field);
  std::string range = " between " + std::to_string(min) + " and " + std::to_string(max);
  bool whole =
      value.is_number_integer() || (value.is_number_float() && std::isfinite(value.get<double>()) &&
                                    std::floor(value.get<double>()) == value.get<double>());
  if (!whole) return InvalidRequest(name + " must be a whole number" + range, name);
  double as_double = value.get<double>();
  if (as_double < static_cast<double>(min) || as_double > static_cast<double>(max)) {
    return InvalidRequest(name + " must be" + range, name);
  }
  return value.is_number_integer() ? value.get<int64_t>() : static_cast<int64_t>(as_double);
}

Result<double> ReadNumber(const nlohmann::json& value, std::string_view field, double min,
                          double max) {
  std::string name(field);
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    return InvalidRequest(name + " must be a number", name);
  }
  double number = value.get<double>();
  if (number < min || number > max) {
    return InvalidRequest(name + " must be between " + nlohmann::json(min).dump() + " and " +
                              nlohmann::json(max).dump(),
                          name);
  }
  return number;
}

Result<bool> ReadBool(const nlohmann::json& value, std::string_view field) {
  if (!value.is_boolean()) {
    return InvalidRequest(std::string(field) + " must be true or false", std::string(field));
  }
  return value.get<bool>();
}

Status RejectUnknownFields(const nlohmann::json& object,
                           std::initializer_list<std::string_view> allowed,
                           std::string_view prefix) {
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      std::string name = std::string(prefix) + item.key();
      return InvalidRequest(
          "unknown field '" + name + "'; check the spelling against the API reference", name);
    }
  }
  return Ok{};
}

namespace {

// Nesting deeper than this is refused before parsing: printing and walking a value are
// recursive, and no job needs a payload 64 levels deep.
constexpr int kMaxJsonDepth = 64;

bool TooDeep(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<nlohmann::json> ParseJsonBody(std::string_view body) {
  if (body.empty()) return InvalidRequest("the request needs a JSON object body");
  if (TooDeep(body)) {
    return InvalidRequest("the request body nests JSON deeper than " +
                          std::to_string(kMaxJsonDepth) + " levels");
  }
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidRequest("the request body is not valid JSON (error at byte " +
                          std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::out_of_range&) {
    // e.g. 1e400: the parser reports a number beyond double range this way.
    return InvalidRequest("the request body has a number too large to represent");
  }
  return parsed;
}

Result<nlohmann::json> ParseJsonObject(std::string_view body) {
  auto parsed = ParseJsonBody(body);
  if (parsed && !parsed->is_object())
    return InvalidRequest("the request body must be a JSON object");
  return parsed;
}

}  // namespace flare
