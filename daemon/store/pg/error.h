#pragma once
// The one exception the PostgreSQL layer throws, carrying the server's SQLSTATE so callers
// can tell a conflict (23505: a unique key taken) or a lost connection (08xxx, 57P01) from
// a bug, and decide to retry, report or give up. Its text never holds the connection URI or
// a password: it ends up in logs and in HTTP error bodies.

#include <stdexcept>
#include <string>

namespace flare::daemon::pg {

/// SQLSTATEs the layer itself assigns where the server sent none.
inline constexpr const char* kConnectionFailure = "08006";  // lost or never established
/// Raised on our side (a NULL read as a number, an unknown column): a bug in the caller.
inline constexpr const char* kClientMisuse = "";

class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}

  /// Five characters from the server (the SQLSTATE codes of PostgreSQL's error appendix),
  /// kConnectionFailure, or empty for kClientMisuse.
  const std::string& sqlstate() const { return sqlstate_; }
  bool IsUniqueViolation() const { return sqlstate_ == "23505"; }
  /// Class 08 (connection exception) or 57P0x (the server shut the session down).
  bool IsConnectionLost() const {
    return sqlstate_.rfind("08", 0) == 0 || sqlstate_.rfind("57P0", 0) == 0;
  }

 private:
  std::string sqlstate_;
};

}  // namespace flare::daemon::pg
