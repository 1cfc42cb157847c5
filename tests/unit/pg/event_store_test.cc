// The PostgreSQL EventStore (store/postgres/event_store.h) against a real database: a job's
// events newest first by rowid, the project log in id order both ways with its filters, as
// the SQLite store serves them.

#include "daemon/store/postgres/event_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::event_store_test {
namespace {

const TimePoint kT0 = FromMillis(1'700'000'000'456);

std::vector<std::string> Ids(const std::vector<EventRecord>& events) {
  std::vector<std::string> ids;
  for (const EventRecord& event : events) ids.push_back(event.id);
  return ids;
}

using V = std::vector<std::string>;

EventLogFilter OfJobId(std::string job_id) {
  EventLogFilter filter;
  filter.job_id = std::move(job_id);
  return filter;
}
EventLogFilter InQueue(std::string queue, std::vector<std::string> types = {}) {
  EventLogFilter filter;
  filter.queue = std::move(queue);
  filter.types = std::move(types);
  return filter;
}
EventLogFilter OfTypes(std::vector<std::string> types) {
  EventLogFilter filter;
  filter.types = std::move(types);
  return filter;
}

class PgEventStoreTest : public ::testing::Test {
 protected:
  PgEventStoreTest() : db_(database_.uri()), events_(Session{db_, &counters_}) {
    pg::Migrate(db_, pg::FlareSchema());
  }

  EventRecord Append(const std::string& id, const std::string& job_id,
                     const std::string& type = "run.created",
                     const std::string& project = "proj_a") {
    EventRecord event;
    event.id = id;
    event.project_id = project;
    event.job_id = job_id;
    event.type = type;
    event.at = kT0;
    events_.Append(event);
    return event;
  }

  void InsertJob(const std::string& id, const std::string& queue) {
    db_.Exec(
        "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
        "version, state, attempt, max_attempts, created_at, updated_at) "
        "VALUES ($1, 'proj_a', 't', $2, '{}', '{}', 0, 1, 1, 'pending', 0, 3, 0, 0)",
        id, queue);
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
  CounterDeltas counters_;
  PgEventStore events_;
};

TEST_F(PgEventStoreTest, AppendSetsRowidAndEveryColumnComesBack) {
  EventRecord full;
  full.id = "evt_01";
  full.project_id = "proj_a";
  full.job_id = "job_1";
  full.run_id = "run_1";
  full.type = "run.failed";
  full.at = kT0;
  full.attempt = 3;
  full.details = {{"error", "boom"}, {"code", 7}};
  events_.Append(full);
  EventRecord bare = Append("evt_02", "job_1");
  EXPECT_GT(full.rowid, 0);
  EXPECT_GT(bare.rowid, full.rowid);

  std::vector<EventRecord> got = events_.OfJob("job_1", std::nullopt, 10);
  ASSERT_EQ(got.size(), 2u);
  const EventRecord& f = got[1];
  EXPECT_EQ(f.rowid, full.rowid);
  EXPECT_EQ(f.id, full.id);
  EXPECT_EQ(f.project_id, full.project_id);
  EXPECT_EQ(f.job_id, full.job_id);
  EXPECT_EQ(f.run_id, full.run_id);
  EXPECT_EQ(f.type, full.type);
  EXPECT_EQ(f.at, full.at);
  EXPECT_EQ(f.attempt, full.attempt);
  EXPECT_EQ(f.details, full.details);
  const EventRecord& b = got[0];
  EXPECT_EQ(b.run_id, "");
  EXPECT_EQ(b.attempt, std::nullopt);
  EXPECT_TRUE(b.details.is_null());
  EXPECT_EQ(db_.Exec("SELECT count(*) FROM events WHERE run_id IS NULL AND attempt IS NULL AND "
                     "details IS NULL")
                .Int64(0, 0),
            1);
}

TEST_F(PgEventStoreTest, OfJobPagesNewestFirstByRowid) {
  std::vector<EventRecord> appended;
  for (int i = 0; i < 5; ++i) appended.push_back(Append("evt_" + std::to_string(i), "job_1"));
  Append("evt_other", "job_2");
  EXPECT_EQ(Ids(events_.OfJob("job_1", std::nullopt, 2)), (V{"evt_4", "evt_3"}));
  EXPECT_EQ(Ids(events_.OfJob("job_1", appended[3].rowid, 2)), (V{"evt_2", "evt_1"}));
  EXPECT_EQ(Ids(events_.OfJob("job_1", appended[1].rowid, 2)), (V{"evt_0"}));
}

TEST_F(PgEventStoreTest, ProjectLogReadsForwardAfterAndBackwardBeforeAPosition) {
  for (int i = 1; i <= 5; ++i) Append("evt_0" + std::to_string(i), "job_1");
  Append("evt_09", "job_x", "run.created", "proj_b");
  EXPECT_EQ(Ids(events_.After("proj_a", {}, "", 3)), (V{"evt_01", "evt_02", "evt_03"}));
  EXPECT_EQ(Ids(events_.After("proj_a", {}, "evt_03", 10)), (V{"evt_04", "evt_05"}));
  EXPECT_EQ(Ids(events_.Before("proj_a", {}, "", 2)), (V{"evt_05", "evt_04"}));
  EXPECT_EQ(Ids(events_.Before("proj_a", {}, "evt_03", 10)), (V{"evt_02", "evt_01"}));
}

TEST_F(PgEventStoreTest, ProjectLogFiltersByJobQueueAndTypes) {
  InsertJob("job_fast", "fast");
  InsertJob("job_slow", "slow");
  Append("evt_1", "job_fast", "run.created");
  Append("evt_2", "job_slow", "run.created");
  Append("evt_3", "job_fast", "run.succeeded");
  Append("evt_4", "job_slow", "run.failed");
  Append("evt_5", "job_fast", R"(odd "type" \ with quotes)");
  EXPECT_EQ(Ids(events_.After("proj_a", OfJobId("job_slow"), "", 10)), (V{"evt_2", "evt_4"}));
  EXPECT_EQ(Ids(events_.After("proj_a", InQueue("fast"), "", 10)), (V{"evt_1", "evt_3", "evt_5"}));
  EXPECT_EQ(Ids(events_.After("proj_a", OfTypes({"run.created"}), "", 10)), (V{"evt_1", "evt_2"}));
  EXPECT_EQ(Ids(events_.Before("proj_a", OfTypes({"run.failed", "run.succeeded"}), "", 10)),
            (V{"evt_4", "evt_3"}));
  EXPECT_EQ(Ids(events_.After("proj_a", OfTypes({R"(odd "type" \ with quotes)", "x"}), "", 10)),
            (V{"evt_5"}));
  EXPECT_EQ(Ids(events_.After("proj_a", InQueue("fast", {"run.created", "run.failed"}), "", 10)),
            (V{"evt_1"}));
}

TEST_F(PgEventStoreTest, ExistsOnlyInItsOwnProject) {
  Append("evt_1", "job_1");
  EXPECT_TRUE(events_.Exists("proj_a", "evt_1"));
  EXPECT_FALSE(events_.Exists("proj_b", "evt_1"));
  EXPECT_FALSE(events_.Exists("proj_a", "evt_2"));
}

TEST_F(PgEventStoreTest, LastIdIsTheEventAppendedLast) {
  EXPECT_EQ(events_.LastId(), "");
  Append("evt_1", "job_1");
  Append("evt_2", "job_2", "run.created", "proj_b");
  EXPECT_EQ(events_.LastId(), "evt_2");
}

}  // namespace
}  // namespace flare::daemon::postgres::event_store_test
