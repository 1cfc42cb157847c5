#pragma once
// Binding and reading the column types flared uses: empty strings, absent times and
// null JSON are all stored as NULL.

#include <SQLiteCpp/Statement.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/run_state.h"
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
/// Binds a state's stored spelling without a copy: ToString views a static literal.
inline void BindState(SQLite::Statement& st, int index, RunState state) {
  st.bindNoCopy(index, ToString(state).data());
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
/// A text column without a copy: valid until the statement steps again or is reset.
inline std::string_view ColTextView(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  if (column.isNull()) return {};
  const char* text = column.getText();  // before getBytes, as SQLite asks
  return {text, static_cast<size_t>(column.getBytes())};
}
/// A stored run or job state. A spelling this flared does not know (a newer version's data
/// dir, a hand edit) throws: the enum cannot hold it, and guessing a state would let a
/// transition act on it and write the guess back. The read (one request, one writer
/// operation) fails, not the daemon: both catch std::exception.
inline RunState ColState(SQLite::Statement& st, int index) {
  const char* text = st.getColumn(index).getText();
  if (std::optional<RunState> state = ParseRunState(text)) return *state;
  throw std::runtime_error(std::string("stored ") + st.getColumnName(index) + " '" + text +
                           "' is not a state this flared knows");
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
