#include "daemon/store/pg/result.h"

#include <charconv>

#include "daemon/store/pg/error.h"

namespace flare::daemon::pg {

int64_t PgResult::affected_rows() const {
  std::string_view tuples = PQcmdTuples(result_.get());
  int64_t count = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
  return count;
}

int PgResult::Column(std::string_view name) const {
  // PQfnumber folds unquoted names to lower case; a quoted one keeps its case.
  int index = PQfnumber(result_.get(), ("\"" + std::string(name) + "\"").c_str());
  if (index < 0) throw PgError(kClientMisuse, "no column \"" + std::string(name) + "\" in result");
  return index;
}

bool PgResult::IsNull(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw PgError(kClientMisuse, "cell (" + std::to_string(row) + ", " + std::to_string(column) +
                                     ") is outside the result");
  }
  return PQgetisnull(result_.get(), row, column) == 1;
}

std::string_view PgResult::Value(int row, int column) const {
  if (IsNull(row, column)) {
    throw PgError(kClientMisuse, std::string("column \"") + PQfname(result_.get(), column) +
                                     "\" is NULL in row " + std::to_string(row));
  }
  return {PQgetvalue(result_.get(), row, column),
          static_cast<size_t>(PQgetlength(result_.get(), row, column))};
}

std::string PgResult::Text(int row, int column) const { return std::string(Value(row, column)); }

int64_t PgResult::Int64(int row, int column) const {
  std::string_view text = Value(row, column);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw PgError(kClientMisuse, std::string("column \"") + PQfname(result_.get(), column) +
                                     "\" is not a 64-bit integer: " + std::string(text));
  }
  return value;
}

bool PgResult::Bool(int row, int column) const {
  std::string_view text = Value(row, column);
  if (text == "t") return true;
  if (text == "f") return false;
  throw PgError(kClientMisuse, std::string("column \"") + PQfname(result_.get(), column) +
                                   "\" is not a boolean: " + std::string(text));
}

}  // namespace flare::daemon::pg
