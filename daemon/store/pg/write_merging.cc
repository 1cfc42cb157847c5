#include "daemon/store/pg/write_merging.h"

#include <charconv>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace flare::daemon::pg {
namespace {

enum class Kind { kBarrier, kWrite, kInsert, kUpdate };

// "column = $k" of an UPDATE's SET list or WHERE clause.
struct Assignment {
  std::string column;
  size_t parameter;  // 1-based
};

// What a queued statement is, for merging and for the order that must be kept.
struct Shape {
  size_t parameters = 0;  // the statement's parameter count the shape was read with
  Kind kind = Kind::kBarrier;
  std::string table;              // the table it writes; empty for a barrier
  std::string insert_prefix;      // "INSERT INTO t (…) VALUES "
  std::vector<Assignment> set;    // UPDATE: SET list
  std::vector<Assignment> where;  // UPDATE: WHERE conditions, joined by AND
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

// "$n". Written with to_chars: building the placeholders of each queued and merged statement
// with std::to_string and temporary strings was ~48 K instructions of a create's ~330 K on
// a node's request thread (callgrind, creates from 16 clients).
void AppendParameter(std::string& out, size_t n) {
  char text[24] = {'$'};
  char* end = std::to_chars(text + 1, text + sizeof text, n).ptr;
  out.append(text, static_cast<size_t>(end - text));
}

// "($first, $first+1, …, $first+count-1)".
void AppendPlaceholders(std::string& out, size_t first, size_t count) {
  out.push_back('(');
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out.append(", ");
    AppendParameter(out, first + i);
  }
  out.push_back(')');
}

// Whether `text` is exactly "($1, $2, …, $count)".
bool IsPlaceholderList(std::string_view text, size_t count) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return false;
  text = text.substr(1, text.size() - 2);
  for (size_t i = 1; i <= count; ++i) {
    if (i > 1) {
      if (!StartsWith(text, ", ")) return false;
      text.remove_prefix(2);
    }
    // "$" then the number's digits as to_chars writes them (no sign, no leading zero).
    if (text.size() < 2 || text[0] != '$' || text[1] == '0') return false;
    size_t n = 0;
    auto [end, error] = std::from_chars(text.data() + 1, text.data() + text.size(), n);
    if (error != std::errc() || n != i) return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
  }
  return text.empty();
}

bool IsIdentifier(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "a = $3<sep>b = $4" into its assignments, or nullopt when any part has another form.
std::optional<std::vector<Assignment>> Assignments(std::string_view text, std::string_view sep) {
  std::vector<Assignment> parts;
  while (!text.empty()) {
    size_t end = text.find(sep);
    std::string_view part = text.substr(0, end);
    size_t equals = part.find(" = $");
    if (equals == std::string_view::npos) return std::nullopt;
    std::string_view column = part.substr(0, equals);
    std::string_view number = part.substr(equals + 4);
    if (!IsIdentifier(column) || number.empty() || number.size() > 5) return std::nullopt;
    size_t parameter = 0;
    for (char c : number) {
      if (c < '0' || c > '9') return std::nullopt;
      parameter = parameter * 10 + static_cast<size_t>(c - '0');
    }
    parts.push_back({std::string(column), parameter});
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + sep.size());
  }
  return parts;
}

// True when the assignments use each parameter 1..count exactly once.
bool CoversEveryParameter(const Shape& shape, size_t count) {
  std::vector<bool> seen(count + 1, false);
  for (const auto* list : {&shape.set, &shape.where}) {
    for (const Assignment& a : *list) {
      if (a.parameter == 0 || a.parameter > count || seen[a.parameter]) return false;
      seen[a.parameter] = true;
    }
  }
  return shape.set.size() + shape.where.size() == count;
}

Shape ShapeOf(const Statement& statement) {
  std::string_view sql = statement.sql;
  size_t count = statement.params.size();
  Shape shape;
  shape.parameters = count;
  if (std::string table = TableAfter(sql, "INSERT INTO "); !table.empty()) {
    shape.kind = Kind::kWrite;
    shape.table = std::move(table);
    constexpr std::string_view kValues = " VALUES ";
    size_t values = sql.rfind(kValues);
    if (values != std::string_view::npos && count > 0 &&
        IsPlaceholderList(sql.substr(values + kValues.size()), count)) {
      shape.kind = Kind::kInsert;
      shape.insert_prefix = std::string(sql.substr(0, values + kValues.size()));
    }
    return shape;
  }
  if (std::string table = TableAfter(sql, "UPDATE "); !table.empty()) {
    shape.kind = Kind::kWrite;
    shape.table = table;
    std::string head = "UPDATE " + table + " SET ";
    constexpr std::string_view kWhere = " WHERE ";
    size_t where = sql.find(kWhere);
    if (!StartsWith(sql, head) || where == std::string_view::npos) return shape;
    auto set = Assignments(sql.substr(head.size(), where - head.size()), ", ");
    auto conditions = Assignments(sql.substr(where + kWhere.size()), " AND ");
    if (!set || !conditions || set->empty() || conditions->empty()) return shape;
    shape.set = std::move(*set);
    shape.where = std::move(*conditions);
    if (CoversEveryParameter(shape, count)) shape.kind = Kind::kUpdate;
    return shape;
  }
  shape.table = TableAfter(sql, "DELETE FROM ");
  shape.kind = shape.table.empty() ? Kind::kBarrier : Kind::kWrite;
  return shape;
}

// The shapes of the statements seen so far, by text. Every text a store queues is one of
// its fixed statements, so this stays small; reading a statement's shape again at each
// queued write (parsing an UPDATE's 28 assignments, checking an INSERT's placeholders)
// was ~10 K instructions a statement, a quarter of a node's instructions under 4 workers
// × 50 (callgrind). Entries are never removed, so a reference stays valid; past
// kMaxCachedShapes (a store building texts it should not) shapes are read each time.
class ShapeCache {
 public:
  static constexpr size_t kMaxCachedShapes = 1024;

  /// The shape of `statement`: the cached one, or one read now and kept in `uncached` when
  /// it cannot be cached.
  const Shape& Of(const Statement& statement, std::deque<Shape>& uncached) {
    {
      std::shared_lock lock(mutex_);
      auto it = shapes_.find(statement.sql);
      if (it != shapes_.end() && it->second.parameters == statement.params.size())
        return it->second;
    }
    Shape shape = ShapeOf(statement);
    std::unique_lock lock(mutex_);
    if (shapes_.size() < kMaxCachedShapes) {
      auto [it, added] = shapes_.try_emplace(statement.sql, shape);
      if (it->second.parameters == shape.parameters) return it->second;
    }
    return uncached.emplace_back(std::move(shape));
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Shape> shapes_;
};

ShapeCache& Shapes() {
  static ShapeCache* shapes = new ShapeCache();  // never destroyed: used until exit
  return *shapes;
}

// The WHERE values of an UPDATE, or nullopt when one is NULL (never merged).
std::optional<std::string> RowKey(const Shape& shape, const Statement& statement) {
  std::string key;
  for (const Assignment& a : shape.where) {
    const char* value = statement.params[a.parameter - 1].c_str();
    if (value == nullptr) return std::nullopt;
    key += value;
    key += '\x1f';
  }
  return key;
}

struct Group {
  const Shape* shape;  // the cached shape of its statements' text (ShapeCache)
  std::vector<Statement> members;
  std::set<std::string> keys;  // UPDATE: the rows it changes
};

bool HasRoomFor(const Group& group, const Statement& statement) {
  size_t width = statement.params.size();
  return group.members.size() < kMaxMergedRows &&
         (group.members.size() + 1) * width <= kMaxMergedParameters;
}

// The group a mergeable write joins: the latest one of the same text, unless another write
// of its table or a barrier comes after that one, or (UPDATE) it already changes the row.
Group* GroupToJoin(std::vector<Group>& groups, const Statement& statement, const Shape& shape,
                   const std::optional<std::string>& key) {
  for (size_t i = groups.size(); i-- > 0;) {
    Group& group = groups[i];
    if (group.shape->kind == Kind::kBarrier) return nullptr;
    // One text has one cached shape; the text itself is compared only when one of them
    // could not be cached.
    if (group.shape == &shape ||
        (group.shape->kind == shape.kind && group.members.front().sql == statement.sql)) {
      if (!HasRoomFor(group, statement)) return nullptr;
      if (shape.kind == Kind::kUpdate && (!key || group.keys.count(*key) > 0)) return nullptr;
      return &group;
    }
    if (group.shape->table == shape.table) return nullptr;
  }
  return nullptr;
}

std::string ValuesColumn(size_t parameter) { return "flare_v" + std::to_string(parameter); }

// UPDATE t SET a = v.flare_v3, … FROM (VALUES ($1::type, …), ($n+1, …)) AS v(flare_v1, …)
// WHERE t.id = v.flare_v1 AND …; nullopt when a column's type is unknown.
std::optional<Statement> MergedUpdate(Group& group, const ColumnTypesOf& types_of) {
  const Shape& shape = *group.shape;
  const ColumnTypes* types = types_of(shape.table);
  if (types == nullptr) return std::nullopt;
  size_t width = group.members.front().params.size();
  std::vector<std::string> type_of_parameter(width + 1);
  for (const auto* list : {&shape.set, &shape.where}) {
    for (const Assignment& a : *list) {
      auto type = types->find(a.column);
      if (type == types->end()) return std::nullopt;
      type_of_parameter[a.parameter] = type->second;
    }
  }
  Statement merged;
  merged.sql = "UPDATE " + shape.table + " SET ";
  for (size_t i = 0; i < shape.set.size(); ++i) {
    if (i > 0) merged.sql += ", ";
    merged.sql += shape.set[i].column + " = v." + ValuesColumn(shape.set[i].parameter);
  }
  merged.sql += " FROM (VALUES ";
  for (size_t row = 0; row < group.members.size(); ++row) {
    if (row > 0) merged.sql += ", ";
    merged.sql += "(";
    for (size_t p = 1; p <= width; ++p) {
      if (p > 1) merged.sql += ", ";
      AppendParameter(merged.sql, row * width + p);
      // The first row types the VALUES columns; the others' parameters take those types.
      if (row == 0) merged.sql += "::" + type_of_parameter[p];
    }
    merged.sql += ")";
  }
  merged.sql += ") AS v(";
  for (size_t p = 1; p <= width; ++p) merged.sql += (p > 1 ? ", " : "") + ValuesColumn(p);
  merged.sql += ") WHERE ";
  for (size_t i = 0; i < shape.where.size(); ++i) {
    if (i > 0) merged.sql += " AND ";
    merged.sql += shape.table + "." + shape.where[i].column + " = v." +
                  ValuesColumn(shape.where[i].parameter);
  }
  merged.params.reserve(width * group.members.size());
  for (Statement& member : group.members) {
    for (PgParam& param : member.params) merged.params.push_back(std::move(param));
  }
  return merged;
}

Statement MergedInsert(Group& group) {
  Statement merged;
  size_t width = group.members.front().params.size();
  merged.sql.reserve(group.shape->insert_prefix.size() + group.members.size() * width * 7);
  merged.sql = group.shape->insert_prefix;
  merged.params.reserve(width * group.members.size());
  for (size_t row = 0; row < group.members.size(); ++row) {
    if (row > 0) merged.sql += ", ";
    AppendPlaceholders(merged.sql, row * width + 1, width);
    for (PgParam& param : group.members[row].params) merged.params.push_back(std::move(param));
  }
  return merged;
}

// The group as statements: one merged statement, or its members as they came.
void Emit(Group& group, const ColumnTypesOf& types_of, std::vector<Statement>& out) {
  if (group.members.size() > 1 && group.shape->kind == Kind::kInsert) {
    out.push_back(MergedInsert(group));
    return;
  }
  if (group.members.size() > 1 && group.shape->kind == Kind::kUpdate) {
    if (std::optional<Statement> merged = MergedUpdate(group, types_of)) {
      out.push_back(std::move(*merged));
      return;
    }
  }
  for (Statement& member : group.members) out.push_back(std::move(member));
}

}  // namespace

std::vector<Statement> MergeWrites(std::vector<Statement> statements,
                                   const ColumnTypesOf& types_of) {
  std::deque<Shape> uncached;  // before the groups that point into it
  std::vector<Group> groups;
  groups.reserve(statements.size());
  for (Statement& statement : statements) {
    const Shape& shape = Shapes().Of(statement, uncached);
    std::optional<std::string> key;
    if (shape.kind == Kind::kUpdate) key = RowKey(shape, statement);
    bool mergeable = shape.kind == Kind::kInsert || (shape.kind == Kind::kUpdate && key);
    Group* join = mergeable ? GroupToJoin(groups, statement, shape, key) : nullptr;
    if (!join) {
      groups.push_back({&shape, {}, {}});
      join = &groups.back();
    }
    if (key) join->keys.insert(*key);
    join->members.push_back(std::move(statement));
  }
  std::vector<Statement> merged;
  merged.reserve(groups.size());
  for (Group& group : groups) Emit(group, types_of, merged);
  return merged;
}

}  // namespace flare::daemon::pg
