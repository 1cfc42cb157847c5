#pragma once
// The rows of one statement, owned: PQclear runs when the PgResult dies, so no path (an
// early return, an exception) leaks a PGresult. Values come as libpq's text format and
// are parsed here into the few types the store needs; reading a NULL as a value or a
// column that is not there throws instead of returning a made-up value.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace flare::daemon::pg {

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}

  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  /// Rows an INSERT/UPDATE/DELETE touched (0 for other statements).
  int64_t affected_rows() const;
  /// The command tag: "INSERT 0 1", "COMMIT", "ROLLBACK" (a COMMIT of a failed transaction)…
  std::string command_status() const { return PQcmdStatus(result_.get()); }

  /// The column's index; throws when the result has no column of that name.
  int Column(std::string_view name) const;

  bool IsNull(int row, int column) const;
  bool IsNull(int row, std::string_view column) const { return IsNull(row, Column(column)); }
  /// The typed getters throw on NULL (check IsNull first) and on text of another type.
  std::string Text(int row, int column) const;
  std::string Text(int row, std::string_view column) const { return Text(row, Column(column)); }
  int64_t Int64(int row, int column) const;
  int64_t Int64(int row, std::string_view column) const { return Int64(row, Column(column)); }
  bool Bool(int row, int column) const;
  bool Bool(int row, std::string_view column) const { return Bool(row, Column(column)); }

 private:
  // The raw text of a non-NULL value of an existing cell (throws otherwise).
  std::string_view Value(int row, int column) const;

  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

}  // namespace flare::daemon::pg
