#pragma once
// Parameters and values of the PostgreSQL stores, stored as the SQLite backend stores them
// (columns.h there): times as BIGINT milliseconds since the epoch, JSON as TEXT, booleans
// as 0/1, and an empty string, an absent time or a null JSON value as NULL.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/encoding.h"
#include "common/run_state.h"
#include "daemon/store/pg/result.h"
#include "daemon/store/records.h"

namespace flare::daemon::postgres {

// --- parameters (each becomes a pg::PgParam; std::nullopt is NULL) ---

inline std::optional<std::string> TextOrNull(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}
inline int64_t Millis(TimePoint t) { return ToMillis(t); }
inline std::optional<int64_t> Millis(const OptTime& t) {
  if (!t) return std::nullopt;
  return ToMillis(*t);
}
inline std::optional<std::string> JsonOrNull(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  return value.dump();
}
inline int Flag(bool value) { return value ? 1 : 0; }
inline std::string_view StateText(RunState state) { return ToString(state); }
/// A double sent as text that PostgreSQL reads back exactly.
inline std::optional<std::string> DoubleOrNull(const std::optional<double>& value) {
  if (!value) return std::nullopt;
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", *value);
  return std::string(text);
}

/// A text[] literal ({"a","b"}) for `= ANY($n::text[])`: every element double-quoted, with
/// backslash and double quote escaped, so no value can end an element or the array early.
template <typename Strings>
std::string TextArray(const Strings& items) {
  std::string literal = "{";
  for (const std::string& item : items) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

// BYTEA (hashes, sealed secrets: any byte, NUL included) travels as hex, since libpq's text
// parameters end at a NUL: decode($n, 'hex') on the way in, encode(column, 'hex') out.
inline std::string HexParam(const std::string& bytes) { return HexEncode(bytes); }
/// An absent value (empty) is NULL, as SQLite stores it.
inline std::optional<std::string> HexOrNull(const std::string& bytes) {
  if (bytes.empty()) return std::nullopt;
  return HexEncode(bytes);
}

// --- values of a result row ---

inline std::string TextAt(const pg::PgResult& r, int row, int column) {
  return r.IsNull(row, column) ? std::string() : r.Text(row, column);
}
inline TimePoint TimeAt(const pg::PgResult& r, int row, int column) {
  return FromMillis(r.Int64(row, column));
}
inline OptTime OptTimeAt(const pg::PgResult& r, int row, int column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return FromMillis(r.Int64(row, column));
}
inline nlohmann::json JsonAt(const pg::PgResult& r, int row, int column) {
  if (r.IsNull(row, column)) return nullptr;
  return nlohmann::json::parse(r.Text(row, column));
}
inline bool FlagAt(const pg::PgResult& r, int row, int column) { return r.Int64(row, column) != 0; }
inline std::optional<double> OptDoubleAt(const pg::PgResult& r, int row, int column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return std::stod(r.Text(row, column));
}
/// The bytes of an encode(column, 'hex') value ("" for NULL).
inline std::string BytesAt(const pg::PgResult& r, int row, int column) {
  std::string hex = TextAt(r, row, column);
  auto nibble = [](char digit) {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    return digit - 'A' + 10;
  };
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return bytes;
}
inline std::optional<int64_t> OptInt64At(const pg::PgResult& r, int row, int column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return r.Int64(row, column);
}

}  // namespace flare::daemon::postgres
