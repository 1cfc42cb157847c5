// The usage/metrics counters of schema version 4: a database written before them gets its
// existing runs and jobs counted once when it is upgraded, and later changes then move them.

#include <gtest/gtest.h>

#include "daemon/store/run_repository.h"
#include "daemon/store/schema.h"
#include "daemon/store/usage_repository.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/daemon/schema_rewind.h"

namespace flare::daemon {
namespace {

constexpr int64_t kDay = 20520;  // 2026-03-08
constexpr int64_t kAt = kDay * 86400000 + 3600000;

void AddRun(Connection& c, const std::string& id, const std::string& state) {
  SQLite::Statement st(c.db(),
                       "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, "
                       "attempt, max_attempts, timeout_seconds, queue, job_type, priority, "
                       "is_http, created_at, completed_at) VALUES (?1, 'prj_a', 'job_1', 1, "
                       "'API', ?2, 0, 3, 60, 'emails', 't', 0, 0, ?3, ?4)");
  st.bind(1, id);
  st.bind(2, state);
  st.bind(3, kAt);
  if (state == "succeeded" || state == "dead_letter")
    st.bind(4, kAt + 1000);
  else
    st.bind(4);
  st.exec();
}

int64_t Current(Connection& c, const std::string& state) {
  for (const QueueCount& q : ReadQueueCounts(c, "prj_a")) {
    if (q.queue == "emails" && ToString(q.state) == state) return q.current;
  }
  return 0;
}

TEST(UsageSchema, AnUpgradedDatabaseCountsItsExistingRunsOnceThenFollowsChanges) {
  testing::TempDir dir;
  const std::string path = (dir / "old.db").string();
  {
    // A database as version 3 left it: runs, but no counter tables or triggers.
    Connection c(path, Durability::kNormal, Access::kReadWrite);
    MigrateSchema(c);
    for (const char* trigger : {"runs_count_insert", "runs_count_delete", "jobs_count_insert",
                                "jobs_count_update", "jobs_count_delete"}) {
      c.Exec(("DROP TRIGGER IF EXISTS " + std::string(trigger)).c_str());
    }
    for (const char* table :
         {"queue_counts", "run_stats_minute", "usage_daily", "project_counts"}) {
      c.Exec(("DROP TABLE " + std::string(table)).c_str());
    }
    RewindNodesStep(c);
    c.Exec("PRAGMA user_version = 3");
    AddRun(c, "run_1", "pending");
    AddRun(c, "run_2", "pending");
    AddRun(c, "run_3", "succeeded");
    AddRun(c, "run_4", "dead_letter");
  }
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(Current(c, "pending"), 2);
  EXPECT_EQ(Current(c, "succeeded"), 1);
  auto days = ReadDailyUsage(c, "prj_a", kDay, kDay);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].runs, 4);
  EXPECT_EQ(days[0].succeeded, 1);
  EXPECT_EQ(days[0].failed, 1);
  EXPECT_EQ(SumRunStats(c, "prj_a", 0).created, 4);

  auto run = FindRun(c, "prj_a", "run_1");
  ASSERT_TRUE(run);
  run->state = RunState::kProcessing;
  SaveRun(c, *run);
  SaveRun(c, *run);  // the same state again: no count
  EXPECT_EQ(Current(c, "pending"), 1);
  EXPECT_EQ(Current(c, "processing"), 1);
  c.Exec("DELETE FROM runs WHERE id = 'run_3'");  // retention: leaves "now", not the history
  EXPECT_EQ(Current(c, "succeeded"), 0);
  EXPECT_EQ(ReadDailyUsage(c, "prj_a", kDay, kDay)[0].succeeded, 1);
}

}  // namespace
}  // namespace flare::daemon
