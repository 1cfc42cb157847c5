#pragma once
// Strict readers for request bodies: each names the field and the rule when it refuses,
// so a 400 tells the caller exactly what to change.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flare {

/// A string of 1..max_length characters (min_length 0 allows "").
Result<std::string> ReadString(const nlohmann::json& value, std::string_view field,
                               size_t max_length, size_t min_length = 1);
/// A whole number in [min, max]; 3.0 counts, 2.5 and "3" do not.
Result<int64_t> ReadInteger(const nlohmann::json& value, std::string_view field, int64_t min,
                            int64_t max);
/// A number in [min, max].
Result<double> ReadNumber(const nlohmann::json& value, std::string_view field, double min,
                          double max);
Result<bool> ReadBool(const nlohmann::json& value, std::string_view field);
/// Fails with "unknown field X" for the first key of `object` not in `allowed`.
Status RejectUnknownFields(const nlohmann::json& object,
                           std::initializer_list<std::string_view> allowed,
                           std::string_view prefix = "");
/// Parses a request body (any JSON value), refusing nesting deeper than flared handles.
Result<nlohmann::json> ParseJsonBody(std::string_view body);
/// Parses a request body that must be a JSON object.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

}  // namespace flare
