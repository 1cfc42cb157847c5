#pragma once
// A fresh, empty database for one PostgreSQL test, dropped when the test ends, so tests
// share one throwaway cluster (scripts/pg-cluster.sh, started by the ctest fixture
// `postgres`) yet can run in parallel without seeing each other's tables, locks or
// notifications.
//
// The cluster's URI comes from FLARE_TEST_PG_URI, else from <build dir>/pg-cluster/uri.
// Without either the test fails, saying how to start one: skipping would let CI pass
// without ever running these tests.

#include <string>

namespace flare::daemon::pg::testing {

class TestDatabase {
 public:
  /// Creates the database; throws std::runtime_error (the test fails) when there is no
  /// cluster to create it in.
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  /// Drops the database and creates it again, empty (nobody may be connected to it).
  void Recreate();
  /// A libpq URI of this test's own database.
  const std::string& uri() const { return uri_; }
  const std::string& name() const { return name_; }
  /// The cluster's URI (its `flare` database), for administrative sessions.
  const std::string& cluster_uri() const { return cluster_uri_; }

 private:
  std::string cluster_uri_;
  std::string name_;
  std::string uri_;
};

/// `uri` with its database replaced by `database` (keeps host, port, user and parameters).
std::string WithDatabase(const std::string& uri, const std::string& database);

}  // namespace flare::daemon::pg::testing
