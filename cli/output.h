#pragma once
// Output: one Printer turns API objects into what -o asks for (SPEC §9).
//   table  aligned columns, colours and relative times on a TTY; tab-separated, RFC 3339
//          and no colour when piped (no header then, so `cut -f1` works)
//   json   the API object unchanged (a list prints its page object: data/has_more/next_cursor)
//   jsonl  one object per line (lists and streams)
//   id     one id per line
// Commands describe their columns once; the Printer does the rest.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/config.h"
#include "cli/io.h"
#include "common/time_format.h"

namespace flare::cli {

enum class CellKind { kText, kState, kTime, kProgress, kJson };

/// One table column: header, a field name ("a.b" reaches into objects) and how to show it.
struct Column {
  std::string header;
  std::string field;
  CellKind kind = CellKind::kText;
};

/// "3s ago", "in 5m", "2d ago".
std::string RelativeTime(TimePoint t, TimePoint now);
/// The colour a state is shown in (succeeded green, dead_letter red, …).
Style StateStyle(const std::string& state);
/// The value at "a.b" in `object`, or null.
const nlohmann::json& FieldOf(const nlohmann::json& object, const std::string& field);

class Printer {
 public:
  Printer(Io& io, OutputFormat format, TimePoint now);

  OutputFormat format() const { return format_; }
  /// One object: a vertical field/value table, the JSON, one line, or its id.
  void Object(const nlohmann::json& object, const std::vector<Column>& columns);
  /// A page {"data": [...]} (or a bare array): one row per item.
  void List(const nlohmann::json& page, const std::vector<Column>& columns);
  /// One item of a stream: a table row without header, or one JSON line.
  void StreamItem(const nlohmann::json& item, const std::vector<Column>& columns);

 private:
  std::string CellText(const nlohmann::json& value, CellKind kind) const;
  Style CellStyle(const nlohmann::json& value, CellKind kind) const;
  void PrintId(const nlohmann::json& object);

  Io& io_;
  OutputFormat format_;
  TimePoint now_;
};

}  // namespace flare::cli
