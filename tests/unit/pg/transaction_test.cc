// A transaction commits only when told to; dropped, it leaves nothing behind.

#include "daemon/store/pg/transaction.h"

#include <gtest/gtest.h>

#include "daemon/store/pg/error.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

int64_t CountOf(Connection& connection, const char* table) {
  return connection.Exec(std::string("SELECT count(*) FROM ") + table).Int64(0, 0);
}

TEST(PgTransaction, DestroyedUncommittedItRollsBack) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  connection.Exec("CREATE TABLE t (v int)");
  {
    Transaction transaction(connection);
    connection.Exec("INSERT INTO t VALUES (1)");
    EXPECT_TRUE(connection.InTransaction());
  }
  EXPECT_FALSE(connection.InTransaction());
  EXPECT_EQ(CountOf(connection, "t"), 0);
}

TEST(PgTransaction, CommittedWritesAreSeenByOtherSessions) {
  testing::TestDatabase db;
  Connection writer(db.uri()), reader(db.uri());
  writer.Exec("CREATE TABLE t (v int)");
  Transaction transaction(writer);
  writer.Exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(CountOf(reader, "t"), 0) << "seen before COMMIT";
  transaction.Commit();
  EXPECT_EQ(CountOf(reader, "t"), 1);
}

TEST(PgTransaction, CommitAfterAFailedStatementThrowsAndKeepsNothing) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  connection.Exec("CREATE TABLE t (v int PRIMARY KEY)");
  Transaction transaction(connection);
  connection.Exec("INSERT INTO t VALUES (1)");
  EXPECT_THROW(connection.Exec("INSERT INTO t VALUES (1)"), PgError);
  EXPECT_THROW(transaction.Commit(), PgError);
  EXPECT_FALSE(connection.InTransaction());
  EXPECT_EQ(CountOf(connection, "t"), 0);
}

}  // namespace
}  // namespace flare::daemon::pg
