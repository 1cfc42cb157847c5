// A session runs parameterised statements, reads typed values (NULL included) and reports
// errors with their SQLSTATE, never with the password.

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
