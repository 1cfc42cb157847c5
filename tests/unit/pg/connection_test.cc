// A session runs parameterised statements, reads typed values (NULL included) and reports
// errors with their SQLSTATE, never with the password; deferred statements (Defer) go with
// the next statement.

#include "daemon/store/pg/connection.h"

#include <gtest/gtest.h>

#include "daemon/store/pg/error.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

TEST(PgConnection, ParameterisedStatementsReadBackTypedValuesAndNull) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  connection.Exec("CREATE TABLE items (id bigint PRIMARY KEY, name text, done boolean)");
  std::optional<std::string> no_name;
  PgResult inserted = connection.Exec("INSERT INTO items VALUES ($1, $2, $3), ($4, $5, $6)",
                                      int64_t{1}, "it's \"quoted\"; DROP TABLE items", true,
                                      int64_t{-9'000'000'000}, no_name, false);
  EXPECT_EQ(inserted.affected_rows(), 2);

  PgResult rows = connection.Exec("SELECT id, name, done FROM items ORDER BY id");
  ASSERT_EQ(rows.rows(), 2);
  EXPECT_EQ(rows.columns(), 3);
  EXPECT_EQ(rows.Int64(0, "id"), -9'000'000'000);
  EXPECT_TRUE(rows.IsNull(0, "name"));
  EXPECT_FALSE(rows.Bool(0, "done"));
  EXPECT_EQ(rows.Int64(1, 0), 1);
  EXPECT_FALSE(rows.IsNull(1, 1));
  EXPECT_EQ(rows.Text(1, "name"), "it's \"quoted\"; DROP TABLE items");
  EXPECT_TRUE(rows.Bool(1, 2));
}

TEST(PgConnection, ReadingNullOrAMissingColumnThrowsInsteadOfMakingUpAValue) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  PgResult row = connection.Exec("SELECT NULL::bigint AS n, 'x' AS t");
  EXPECT_THROW(row.Int64(0, "n"), PgError);
  EXPECT_THROW(row.Int64(0, "t"), PgError);
  EXPECT_THROW(row.Text(0, "missing"), PgError);
  EXPECT_THROW(row.Text(1, 0), PgError);
}

TEST(PgConnection, UniqueViolationSurfacesSqlstate23505) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  connection.Exec("CREATE TABLE keys (k text PRIMARY KEY)");
  connection.Exec("INSERT INTO keys VALUES ($1)", "a");
  try {
    connection.Exec("INSERT INTO keys VALUES ($1)", "a");
    FAIL() << "the duplicate key was accepted";
  } catch (const PgError& error) {
    EXPECT_EQ(error.sqlstate(), "23505") << error.what();
    EXPECT_TRUE(error.IsUniqueViolation());
    EXPECT_FALSE(error.IsConnectionLost());
  }
  // The session is still usable after a failed statement.
  EXPECT_EQ(connection.Exec("SELECT count(*) FROM keys").Int64(0, 0), 1);
}

// Deferred statements travel with the next statement, in order, and single-row writes of one
// table and shape arrive as one multi-row statement whose values keep their types (NULL
// included).
TEST(PgConnection, DeferredStatementsRunInOrderWithTheNextStatement) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  Connection other(db.uri());
  connection.Exec("CREATE TABLE items (id bigint PRIMARY KEY, name text, done boolean)");
  connection.Exec("CREATE TABLE log (line text)");
  std::optional<std::string> no_name;
  connection.Defer("INSERT INTO items (id, name, done) VALUES ($1, $2, $3)", int64_t{1}, "one",
                   true);
  connection.Defer("INSERT INTO log (line) VALUES ($1)", "first");
  connection.Defer("INSERT INTO items (id, name, done) VALUES ($1, $2, $3)", int64_t{2}, no_name,
                   false);
  // Two UPDATEs of one shape: sent as one, each value cast to its column's type.
  connection.Defer("UPDATE items SET name = $2, done = $3 WHERE id = $1", int64_t{2}, "two", false);
  connection.Defer("UPDATE items SET name = $2, done = $3 WHERE id = $1", int64_t{1}, no_name,
                   false);
  EXPECT_TRUE(connection.HasDeferred());
  EXPECT_EQ(other.Exec("SELECT count(*) FROM items").Int64(0, 0), 0) << "nothing sent yet";

  PgResult rows = connection.Exec("SELECT id, name, done FROM items ORDER BY id");
  EXPECT_FALSE(connection.HasDeferred());
  ASSERT_EQ(rows.rows(), 2);
  EXPECT_TRUE(rows.IsNull(0, "name"));
  EXPECT_FALSE(rows.Bool(0, "done"));
  EXPECT_EQ(rows.Text(1, "name"), "two") << "the UPDATE ran after the INSERT it follows";
  EXPECT_FALSE(rows.Bool(1, "done"));
  EXPECT_EQ(connection.Exec("SELECT count(*) FROM log").Int64(0, 0), 1);
}

// A deferred statement that fails is thrown by the statement that sent it; the ones after
// it were skipped, and after a rollback the session works as before.
TEST(PgConnection, AFailedDeferredStatementIsThrownByTheNextExec) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  connection.Exec("CREATE TABLE keys (k text PRIMARY KEY)");
  connection.Exec("INSERT INTO keys VALUES ($1)", "a");
  connection.Exec("BEGIN");
  connection.Defer("INSERT INTO keys VALUES ($1)", "b");
  connection.Defer("INSERT INTO keys VALUES ($1)", "a");  // taken
  connection.Defer("INSERT INTO keys VALUES ($1)", "c");
  try {
    connection.Exec("SELECT 1");
    FAIL() << "the duplicate key went unnoticed";
  } catch (const PgError& error) {
    EXPECT_TRUE(error.IsUniqueViolation()) << error.what();
  }
  EXPECT_TRUE(connection.InTransaction());
  connection.Exec("ROLLBACK");
  EXPECT_EQ(connection.Exec("SELECT count(*) FROM keys").Int64(0, 0), 1);
}

TEST(PgConnection, DroppedStatementsAreNeverSentAndALongQueueSendsItself) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  connection.Exec("CREATE TABLE n (v bigint)");
  connection.Defer("INSERT INTO n VALUES ($1)", int64_t{1});
  connection.DropDeferred();
  EXPECT_EQ(connection.Exec("SELECT count(*) FROM n").Int64(0, 0), 0);

  Connection other(db.uri());
  for (int64_t i = 0; i < 2000; ++i) connection.Defer("INSERT INTO n VALUES ($1)", i);
  // The queue is bounded: most of it went out on its own, the rest waits for a statement.
  int64_t sent = other.Exec("SELECT count(*) FROM n").Int64(0, 0);
  EXPECT_GE(sent, 1000);
  EXPECT_LT(sent, 2000);
  connection.FlushDeferred();
  EXPECT_EQ(other.Exec("SELECT count(*), sum(v) FROM n").Int64(0, 1), 1999 * 2000 / 2);
}

TEST(PgConnection, AFailedConnectNamesNoPassword) {
  // Port 1 on loopback: nothing listens there, so the connect fails at once.
  const std::string password = "s3cr3t-Pa55word";
  try {
    Connection connection("postgresql://flare:" + password + "@127.0.0.1:1/flare",
                          std::chrono::seconds(2));
    FAIL() << "connected to port 1";
  } catch (const PgError& error) {
    std::string message = error.what();
    EXPECT_EQ(message.find(password), std::string::npos) << message;
    EXPECT_TRUE(error.IsConnectionLost()) << error.sqlstate();
  }
}

}  // namespace
}  // namespace flare::daemon::pg
