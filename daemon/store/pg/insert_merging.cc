#include "daemon/store/pg/insert_merging.h"

#include <utility>

namespace flare::daemon::pg {
namespace {

// What a queued statement is, for merging and for the order that must be kept.
struct Shape {
  std::string table;       // the table it writes; empty for a barrier
  bool mergeable = false;  // a single-row INSERT of the form in the header
  std::string prefix;      // "INSERT INTO t (…) VALUES " of a mergeable INSERT
};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The table name after `keyword` ("INSERT INTO ", "UPDATE ", "DELETE FROM "), or "".
std::string TableAfter(std::string_view sql, std::string_view keyword) {
  if (!StartsWith(sql, keyword)) return "";
  size_t start = keyword.size();
  size_t end = sql.find_first_of(" (", start);
  if (end == std::string_view::npos || end == start) return "";
  return std::string(sql.substr(start, end - start));
}

// "($first, $first+1, …, $first+count-1)".
std::string Placeholders(size_t first, size_t count) {
  std::string text = "(";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) text += ", ";
    text += "$" + std::to_string(first + i);
  }
  return text + ")";
}

Shape ShapeOf(const Statement& statement) {
  std::string_view sql = statement.sql;
  Shape shape;
  if (std::string table = TableAfter(sql, "INSERT INTO "); !table.empty()) {
    shape.table = std::move(table);
    constexpr std::string_view kValues = " VALUES ";
    size_t values = sql.rfind(kValues);
    if (values != std::string_view::npos && !statement.params.empty() &&
        sql.substr(values + kValues.size()) == Placeholders(1, statement.params.size())) {
      shape.mergeable = true;
      shape.prefix = std::string(sql.substr(0, values + kValues.size()));
    }
    return shape;
  }
  shape.table = TableAfter(sql, "UPDATE ");
  if (shape.table.empty()) shape.table = TableAfter(sql, "DELETE FROM ");
  return shape;
}

struct Group {
  Shape shape;
  std::vector<Statement> members;
};

bool HasRoomFor(const Group& group, const Statement& statement) {
  size_t width = statement.params.size();
  return group.members.size() < kMaxMergedRows &&
         (group.members.size() + 1) * width <= kMaxMergedParameters;
}

// The group an INSERT of `shape` joins: the latest one of the same text, unless a write of
// its table or a barrier comes after that one.
Group* GroupToJoin(std::vector<Group>& groups, const Statement& statement, const Shape& shape) {
  for (size_t i = groups.size(); i-- > 0;) {
    Group& group = groups[i];
    if (group.shape.table.empty()) return nullptr;  // a barrier
    if (group.shape.mergeable && group.members.front().sql == statement.sql)
      return HasRoomFor(group, statement) ? &group : nullptr;
    if (group.shape.table == shape.table) return nullptr;
  }
  return nullptr;
}

Statement Merged(Group& group) {
  if (group.members.size() == 1) return std::move(group.members.front());
  Statement merged;
  size_t width = group.members.front().params.size();
  merged.sql = group.shape.prefix;
  merged.params.reserve(width * group.members.size());
  for (size_t row = 0; row < group.members.size(); ++row) {
    if (row > 0) merged.sql += ", ";
    merged.sql += Placeholders(row * width + 1, width);
    for (PgParam& param : group.members[row].params) merged.params.push_back(std::move(param));
  }
  return merged;
}

}  // namespace

std::vector<Statement> MergeInserts(std::vector<Statement> statements) {
  std::vector<Group> groups;
  groups.reserve(statements.size());
  for (Statement& statement : statements) {
    Shape shape = ShapeOf(statement);
    Group* join = shape.mergeable ? GroupToJoin(groups, statement, shape) : nullptr;
    if (join) {
      join->members.push_back(std::move(statement));
    } else {
      groups.push_back({std::move(shape), {}});
      groups.back().members.push_back(std::move(statement));
    }
  }
  std::vector<Statement> merged;
  merged.reserve(groups.size());
  for (Group& group : groups) merged.push_back(Merged(group));
  return merged;
}

}  // namespace flare::daemon::pg
