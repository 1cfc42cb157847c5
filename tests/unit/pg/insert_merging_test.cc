// Single-row INSERTs a transaction queued become multi-row INSERTs, one per table, without
// moving any statement past a write of its own table or past a barrier.

#include "daemon/store/pg/insert_merging.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flare::daemon::pg {
namespace {

Statement Insert(const std::string& table, std::vector<std::string> values) {
  Statement statement;
  statement.sql = "INSERT INTO " + table + " (a, b) VALUES ($1, $2)";
  for (std::string& value : values) statement.params.emplace_back(std::move(value));
  return statement;
}

Statement Sql(const std::string& sql) { return {sql, {}}; }

std::vector<std::string> Texts(const std::vector<Statement>& statements) {
  std::vector<std::string> texts;
  for (const Statement& statement : statements) texts.push_back(statement.sql);
  return texts;
}

std::vector<std::string> Params(const Statement& statement) {
  std::vector<std::string> params;
  for (const PgParam& param : statement.params)
    params.push_back(param.c_str() ? param.c_str() : "NULL");
  return params;
}

TEST(InsertMerging, InterleavedInsertsBecomeOneStatementPerTableInFirstSeenOrder) {
  std::vector<Statement> merged = MergeInserts({
      Sql("BEGIN"),
      Insert("jobs", {"j1", "1"}),
      Insert("runs", {"r1", "1"}),
      Insert("events", {"e1", "1"}),
      Insert("jobs", {"j2", "2"}),
      Insert("runs", {"r2", "2"}),
      Insert("events", {"e2", "2"}),
      Sql("COMMIT"),
  });
  EXPECT_EQ(Texts(merged), (std::vector<std::string>{
                               "BEGIN",
                               "INSERT INTO jobs (a, b) VALUES ($1, $2), ($3, $4)",
                               "INSERT INTO runs (a, b) VALUES ($1, $2), ($3, $4)",
                               "INSERT INTO events (a, b) VALUES ($1, $2), ($3, $4)",
                               "COMMIT",
                           }));
  EXPECT_EQ(Params(merged[1]), (std::vector<std::string>{"j1", "1", "j2", "2"}));
  EXPECT_EQ(Params(merged[3]), (std::vector<std::string>{"e1", "1", "e2", "2"}));
}

TEST(InsertMerging, AWriteOfTheSameTableInBetweenKeepsTheInsertsApart) {
  std::vector<Statement> merged = MergeInserts({
      Insert("jobs", {"j1", "1"}),
      Sql("UPDATE jobs SET b = 3 WHERE a = 'j1'"),
      Insert("jobs", {"j2", "2"}),
  });
  EXPECT_EQ(merged.size(), 3u);
  EXPECT_EQ(Params(merged[2]), (std::vector<std::string>{"j2", "2"}));
}

TEST(InsertMerging, WritesOfOtherTablesDoNotKeepInsertsApartButBarriersDo) {
  std::vector<Statement> across_update = MergeInserts({
      Insert("events", {"e1", "1"}),
      Sql("UPDATE runs SET b = 1 WHERE a = 'r1'"),
      Insert("events", {"e2", "2"}),
  });
  EXPECT_EQ(Texts(across_update),
            (std::vector<std::string>{"INSERT INTO events (a, b) VALUES ($1, $2), ($3, $4)",
                                      "UPDATE runs SET b = 1 WHERE a = 'r1'"}));
  std::vector<Statement> across_barrier = MergeInserts({
      Insert("events", {"e1", "1"}),
      Sql("WITH x AS (INSERT INTO counts VALUES (1)) SELECT 1"),
      Insert("events", {"e2", "2"}),
  });
  EXPECT_EQ(across_barrier.size(), 3u);
}

TEST(InsertMerging, OnlyPlainSingleRowInsertsWithEveryParameterMerge) {
  Statement returning = Insert("jobs", {"j1", "1"});
  returning.sql += " RETURNING a";
  Statement conflict = Insert("jobs", {"j2", "2"});
  conflict.sql += " ON CONFLICT DO NOTHING";
  Statement literal{"INSERT INTO jobs (a, b) VALUES ($1, 7)", {}};
  literal.params.emplace_back("j3");
  std::vector<Statement> merged =
      MergeInserts({returning, returning, conflict, conflict, literal, literal});
  EXPECT_EQ(merged.size(), 6u);
}

TEST(InsertMerging, AMergedInsertStaysUnderItsRowCap) {
  std::vector<Statement> many;
  for (size_t i = 0; i < kMaxMergedRows + 1; ++i) many.push_back(Insert("events", {"e", "1"}));
  std::vector<Statement> merged = MergeInserts(std::move(many));
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].params.size(), 2 * kMaxMergedRows);
  EXPECT_EQ(merged[1].params.size(), 2u);
}

}  // namespace
}  // namespace flare::daemon::pg
