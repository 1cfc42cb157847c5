#pragma once
// Binding and reading the column types flared uses: empty strings, absent times and
// null JSON are all stored as NULL.

#include <SQLiteCpp/Statement.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/store/records.h"

namespace flare::daemon {

inline void BindText(SQLite::Statement& st, int index, const std::string& text) {
  if (text.empty())
    st.bind(index);
  else
    st.bind(index, text);
}
inline void BindTime(SQLite::Statement& st, int index, const OptTime& t) {
  if (t)
    st.bind(index, static_cast<int64_t>(ToMillis(*t)));
  else
    st.bind(index);
}
inline void BindTime(SQLite::Statement& st, int index, TimePoint t) {
  st.bind(index, static_cast<int64_t>(ToMillis(t)));
}
inline void BindJson(SQLite::Statement& st, int index, const nlohmann::json& value) {
  if (value.is_null())
    st.bind(index);
  else
    st.bind(index, value.dump());
}
template <typename T>
void BindOptional(SQLite::Statement& st, int index, const std::optional<T>& value) {
  if (value)
    st.bind(index, *value);
  else
    st.bind(index);
}

/// Binds a newest-first page's position at `index` (created_ms) and `index`+1 (id); leaves
/// both NULL for the first page, which the queries read as "from the top".
inline void BindCursor(SQLite::Statement& st, int index, const std::optional<PageCursor>& cursor) {
  if (!cursor) return;
  st.bind(index, cursor->created_ms);
  st.bind(index + 1, cursor->id);
}

inline std::string ColText(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  return column.isNull() ? std::string() : column.getString();
}
inline OptTime ColTime(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return FromMillis(column.getInt64());
}
inline TimePoint ColTimeRequired(SQLite::Statement& st, int index) {
  return FromMillis(st.getColumn(index).getInt64());
}
inline nlohmann::json ColJson(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  if (column.isNull()) return nullptr;
  return nlohmann::json::parse(column.getString(), nullptr, /*allow_exceptions=*/false);
}
inline std::optional<double> ColDouble(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return column.getDouble();
}
inline std::optional<int64_t> ColInt64(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

}  // namespace flare::daemon
