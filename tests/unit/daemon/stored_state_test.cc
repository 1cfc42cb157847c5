// Run and job states are enums in memory and their wire spelling in the database: the
// repositories convert at the row, so a data dir written before the enums reads the same,
// and a spelling this flared does not know fails the read instead of becoming a guess.

#include <gtest/gtest.h>

#include <stdexcept>

#include "daemon/store/job_repository.h"
#include "daemon/store/run_repository.h"
#include "daemon/store/schema.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

class StoredStateTest : public ::testing::Test {
 protected:
  void SetUp() override { MigrateSchema(c_); }

  void AddRun(const std::string& id, const std::string& state_text) {
    SQLite::Statement st(c_.db(),
                         "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, "
                         "attempt, max_attempts, timeout_seconds, queue, job_type, priority, "
                         "is_http, created_at) VALUES (?1, 'prj_a', 'job_1', 1, 'API', ?2, 0, 3, "
                         "60, 'emails', 't', 0, 0, 1000)");
    st.bind(1, id);
    st.bind(2, state_text);
    st.exec();
  }
  std::string StoredText(const std::string& id) {
    SQLite::Statement st(c_.db(), "SELECT state FROM runs WHERE id = ?1");
    st.bind(1, id);
    return st.executeStep() ? st.getColumn(0).getString() : "";
  }

  testing::TempDir dir_;
  Connection c_{(dir_ / "states.db").string(), Durability::kNormal, Access::kReadWrite};
};

TEST_F(StoredStateTest, EveryStoredSpellingReadsAsItsStateAndIsWrittenBackTheSame) {
  for (RunState state : kAllRunStates) {
    std::string id = "run_" + std::string(ToString(state));
    AddRun(id, std::string(ToString(state)));
    auto run = FindRun(c_, "prj_a", id);
    ASSERT_TRUE(run) << id;
    EXPECT_EQ(run->state, state);
    SaveRun(c_, *run);
    EXPECT_EQ(StoredText(id), ToString(state));
  }
}

TEST_F(StoredStateTest, ATransitionStoresTheWireSpelling) {
  AddRun("run_1", "pending");
  auto run = FindRun(c_, "prj_a", "run_1");
  ASSERT_TRUE(run);
  run->state = RunState::kDeadLetter;
  SaveRun(c_, *run);
  EXPECT_EQ(StoredText("run_1"), "dead_letter");
  auto found = RunsOfJobInState(c_, "job_1", {RunState::kPending, RunState::kDeadLetter});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].state, RunState::kDeadLetter);
  EXPECT_TRUE(RunsOfJobInState(c_, "job_1", {RunState::kPending}).empty());
}

TEST_F(StoredStateTest, AnUnknownStoredStateFailsTheReadAndNamesTheText) {
  AddRun("run_odd", "paused");
  try {
    FindRun(c_, "prj_a", "run_odd");
    FAIL() << "an unknown state was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'paused'"), std::string::npos) << e.what();
  }
  // Queries that filter on known states never meet the row.
  EXPECT_TRUE(RunsOfJobInState(c_, "job_1", {RunState::kPending}).empty());
}

}  // namespace
}  // namespace flare::daemon
