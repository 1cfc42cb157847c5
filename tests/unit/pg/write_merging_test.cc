// Single-row INSERTs and UPDATEs a transaction queued become multi-row statements, one per
// table and shape, without moving any statement past a write of its own table or past a
// barrier, and without one UPDATE changing the same row twice.

#include "daemon/store/pg/write_merging.h"

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

Statement Update(const std::string& table, const std::string& id, const std::string& b) {
  Statement statement;
  statement.sql = "UPDATE " + table + " SET b = $2 WHERE a = $1";
  statement.params.emplace_back(id);
  statement.params.emplace_back(b);
  return statement;
}

const ColumnTypes kTypes = {{"a", "text"}, {"b", "bigint"}};

std::vector<Statement> Merge(std::vector<Statement> statements) {
  return MergeWrites(std::move(statements), [](const std::string&) { return &kTypes; });
}

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

TEST(WriteMerging, InterleavedInsertsBecomeOneStatementPerTableInFirstSeenOrder) {
  std::vector<Statement> merged = Merge({
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

TEST(WriteMerging, AWriteOfTheSameTableInBetweenKeepsTheInsertsApart) {
  std::vector<Statement> merged = Merge({
      Insert("jobs", {"j1", "1"}),
      Sql("UPDATE jobs SET b = 3 WHERE a = 'j1'"),
      Insert("jobs", {"j2", "2"}),
  });
  EXPECT_EQ(merged.size(), 3u);
  EXPECT_EQ(Params(merged[2]), (std::vector<std::string>{"j2", "2"}));
}

TEST(WriteMerging, WritesOfOtherTablesDoNotKeepInsertsApartButBarriersDo) {
  std::vector<Statement> across_update = Merge({
      Insert("events", {"e1", "1"}),
      Sql("UPDATE runs SET b = 1 WHERE a = 'r1'"),
      Insert("events", {"e2", "2"}),
  });
  EXPECT_EQ(Texts(across_update),
            (std::vector<std::string>{"INSERT INTO events (a, b) VALUES ($1, $2), ($3, $4)",
                                      "UPDATE runs SET b = 1 WHERE a = 'r1'"}));
  std::vector<Statement> across_barrier = Merge({
      Insert("events", {"e1", "1"}),
      Sql("WITH x AS (INSERT INTO counts VALUES (1)) SELECT 1"),
      Insert("events", {"e2", "2"}),
  });
  EXPECT_EQ(across_barrier.size(), 3u);
}

TEST(WriteMerging, OnlyPlainSingleRowInsertsWithEveryParameterMerge) {
  Statement returning = Insert("jobs", {"j1", "1"});
  returning.sql += " RETURNING a";
  Statement conflict = Insert("jobs", {"j2", "2"});
  conflict.sql += " ON CONFLICT DO NOTHING";
  Statement literal{"INSERT INTO jobs (a, b) VALUES ($1, 7)", {}};
  literal.params.emplace_back("j3");
  std::vector<Statement> merged =
      Merge({returning, returning, conflict, conflict, literal, literal});
  EXPECT_EQ(merged.size(), 6u);

  // Placeholders other than exactly "($1, $2, …, $n)" for n parameters.
  for (const char* values : {"($2, $1)", "($1,$2)", "($1, $02)", "($1, $2, $3)", "($1)",
                             "($1, $+2)", "(($1, $2))", "$1, $2"}) {
    Statement odd = Insert("jobs", {"j4", "4"});
    odd.sql = std::string("INSERT INTO jobs (a, b) VALUES ") + values;
    EXPECT_EQ(Merge({odd, odd}).size(), 2u) << values;
  }
  // The text of a mergeable INSERT (merged above, its shape remembered) with a parameter
  // too many: its own shape, not the remembered one.
  Statement extra = Insert("jobs", {"j5", "5"});
  extra.params.emplace_back("6");
  EXPECT_EQ(Merge({Insert("jobs", {"j6", "6"}), Insert("jobs", {"j7", "7"})}).size(), 1u);
  EXPECT_EQ(Merge({extra, extra}).size(), 2u);
  Statement wide{
      "INSERT INTO jobs (a, b, c, d, e, f, g, h, i, j, k) VALUES ($1, $2, $3, $4, $5, "
      "$6, $7, $8, $9, $10, $11)",
      {}};
  for (int i = 1; i <= 11; ++i) wide.params.emplace_back(std::to_string(i));
  merged = Merge({wide, wide});
  ASSERT_EQ(merged.size(), 1u) << "ten and more parameters merge too";
  EXPECT_EQ(merged[0].sql.substr(merged[0].sql.find(" VALUES ")),
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), ($12, $13, $14, $15, $16, "
            "$17, $18, $19, $20, $21, $22)");
}

TEST(WriteMerging, UpdatesOfOneShapeBecomeOneUpdateFromTypedValues) {
  std::vector<Statement> merged = Merge({
      Update("runs", "r1", "1"),
      Update("jobs", "j1", "1"),
      Update("runs", "r2", "2"),
      Update("jobs", "j2", "2"),
  });
  EXPECT_EQ(Texts(merged),
            (std::vector<std::string>{
                "UPDATE runs SET b = v.flare_v2 FROM (VALUES ($1::text, $2::bigint), ($3, $4)) "
                "AS v(flare_v1, flare_v2) WHERE runs.a = v.flare_v1",
                "UPDATE jobs SET b = v.flare_v2 FROM (VALUES ($1::text, $2::bigint), ($3, $4)) "
                "AS v(flare_v1, flare_v2) WHERE jobs.a = v.flare_v1",
            }));
  EXPECT_EQ(Params(merged[0]), (std::vector<std::string>{"r1", "1", "r2", "2"}));
}

TEST(WriteMerging, ARowUpdatedTwiceIsNeverInOneMergedUpdate) {
  std::vector<Statement> merged = Merge({
      Update("runs", "r1", "1"), Update("runs", "r2", "2"),
      Update("runs", "r1", "3"),  // the same row again: must land after the first
  });
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(Params(merged[0]), (std::vector<std::string>{"r1", "1", "r2", "2"}));
  EXPECT_EQ(Params(merged[1]), (std::vector<std::string>{"r1", "3"}));
}

TEST(WriteMerging, UpdatesOfOtherFormsOrUnknownColumnsAreSentAsTheyCame) {
  Statement computed{"UPDATE runs SET b = GREATEST(b, $2) WHERE a = $1", {}};
  computed.params.emplace_back("r1");
  computed.params.emplace_back("5");
  EXPECT_EQ(Merge({computed, computed}).size(), 2u);
  Statement other_column = Update("runs", "r1", "1");
  other_column.sql = "UPDATE runs SET c = $2 WHERE a = $1";
  Statement other_column_too = other_column;
  other_column_too.params[0] = PgParam("r2");
  EXPECT_EQ(Merge({other_column, other_column_too}).size(), 2u) << "no type known for c";
  std::vector<Statement> untyped =
      MergeWrites({Update("runs", "r1", "1"), Update("runs", "r2", "2")},
                  [](const std::string&) -> const ColumnTypes* { return nullptr; });
  EXPECT_EQ(untyped.size(), 2u);
}

TEST(WriteMerging, AMergedInsertStaysUnderItsRowCap) {
  std::vector<Statement> many;
  for (size_t i = 0; i < kMaxMergedRows + 1; ++i) many.push_back(Insert("events", {"e", "1"}));
  std::vector<Statement> merged = Merge(std::move(many));
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].params.size(), 2 * kMaxMergedRows);
  EXPECT_EQ(merged[1].params.size(), 2u);
}

}  // namespace
}  // namespace flare::daemon::pg
