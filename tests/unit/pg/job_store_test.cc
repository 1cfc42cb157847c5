// The PostgreSQL JobStore (store/postgres/job_store.h) against a real database: it keeps the
// contract of store/job_store.h as the SQLite store does, and inside write transactions it
// hands each due fire to one flared node only.

#include "daemon/store/postgres/job_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/pg/error.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::job_store_test {
namespace {

const TimePoint kT0 = FromMillis(1'700'000'000'123);

TimePoint At(int64_t offset_ms) { return kT0 + std::chrono::milliseconds(offset_ms); }

JobRecord NewJob(const std::string& id, const std::string& project = "proj_a") {
  JobRecord job;
  job.id = id;
  job.project_id = project;
  job.job_type = "email";
  job.queue = "default";
  job.spec.timeout_seconds = 1800;  // as ParseJobSpec defaults it for a worker job
  job.created_at = kT0;
  job.updated_at = kT0;
  return job;
}

// A job with every column set to a value other than its default.
JobRecord FullJob() {
  JobRecord job = NewJob("job_full");
  job.slug = "nightly-report";
  job.payload = StoredJson::Of({{"to", "ana@example.com"}, {"n", 3}});
  job.tags = StoredJson::Of({{"env", "prod"}, {"team", "core"}});
  job.spec.schedule = "0 3 * * *";
  job.spec.timeout_seconds = 60;
  job.spec.http = HttpTarget{};
  job.spec.http->url = "https://example.com/nightly";
  job.spec.http->headers = {{"Authorization", "Bearer s3cret"}};
  job.spec.misfire_policy = MisfirePolicy::kRunAll;
  job.is_http = true;
  job.parent_job_id = "job_parent";
  job.idempotency_key = "idem-1";
  job.request_hash = "hash-1";
  job.enabled = false;
  job.next_run_at = At(60'000);
  job.version = 4;
  job.last_run_id = "run_last";
  job.state = JobState::kDeadLetter;
  job.attempt = 2;
  job.max_attempts = 5;
  job.started_at = At(1);
  job.completed_at = At(2);
  job.next_retry_at = At(3);
  job.progress = 0.1 + 0.2;  // not exactly 0.3: the double must come back bit for bit
  job.duration_ms = 1234;
  job.error = {{"message", "boom"}};
  job.created_at = At(-5);
  job.updated_at = At(7);
  job.deleted_at = At(9);
  return job;
}

void ExpectSameJob(const JobRecord& got, const JobRecord& want) {
  EXPECT_EQ(got.rowid, want.rowid);
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.project_id, want.project_id);
  EXPECT_EQ(got.slug, want.slug);
  EXPECT_EQ(got.job_type, want.job_type);
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.payload.value(), want.payload.value());
  EXPECT_EQ(got.tags.value(), want.tags.value());
  // The spec as its column holds it: SpecSettings is its whole stored form.
  EXPECT_EQ(SpecSettings(got.spec), SpecSettings(want.spec));
  EXPECT_EQ(got.is_http, want.is_http);
  EXPECT_EQ(got.parent_job_id, want.parent_job_id);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  EXPECT_EQ(got.request_hash, want.request_hash);
  EXPECT_EQ(got.enabled, want.enabled);
  EXPECT_EQ(got.next_run_at, want.next_run_at);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.last_run_id, want.last_run_id);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.attempt, want.attempt);
  EXPECT_EQ(got.max_attempts, want.max_attempts);
  EXPECT_EQ(got.started_at, want.started_at);
  EXPECT_EQ(got.completed_at, want.completed_at);
  EXPECT_EQ(got.next_retry_at, want.next_retry_at);
  EXPECT_EQ(got.progress, want.progress);
  EXPECT_EQ(got.duration_ms, want.duration_ms);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.updated_at, want.updated_at);
  EXPECT_EQ(got.deleted_at, want.deleted_at);
}

/// A filter with what `narrow` sets (GCC's -Wextra refuses designated initializers that
/// leave members out).
template <typename Narrow>
JobFilter Where(Narrow narrow) {
  JobFilter filter;
  narrow(filter);
  return filter;
}

std::vector<std::string> Ids(const std::vector<JobRecord>& jobs) {
  std::vector<std::string> ids;
  for (const JobRecord& job : jobs) ids.push_back(job.id);
  return ids;
}

class PgJobStoreTest : public ::testing::Test {
 protected:
  PgJobStoreTest() : db_(database_.uri()) { pg::Migrate(db_, pg::FlareSchema()); }

  /// The store as a read lease sees it (no locks, no counters).
  PgJobStore Reader() { return PgJobStore(Session{db_}); }
  /// The store as a write transaction's operation sees it.
  PgJobStore Writer(pg::Connection& db) { return PgJobStore(Session{db, &counters_}); }

  JobRecord Inserted(JobRecord job) {
    Writer(db_).Insert(job);
    // Sent with the session's next statement, which reads the rowid the database gave it.
    job.rowid = db_.Exec("SELECT rowid FROM jobs WHERE id = $1", job.id).Int64(0, 0);
    return job;
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
  CounterDeltas counters_;
};

TEST_F(PgJobStoreTest, InsertedJobsGetARowidAndFindReturnsEveryColumn) {
  JobRecord job = Inserted(FullJob());
  EXPECT_GT(job.rowid, 0);
  std::optional<JobRecord> found = Reader().Find("proj_a", "job_full");
  ASSERT_TRUE(found);
  ExpectSameJob(*found, job);
}

TEST_F(PgJobStoreTest, EmptyAndAbsentValuesComeBackEmptyAndAbsent) {
  JobRecord job = Inserted(NewJob("job_min"));
  std::optional<JobRecord> found = Reader().Find("proj_a", "job_min");
  ASSERT_TRUE(found);
  ExpectSameJob(*found, job);
  EXPECT_TRUE(found->tags.is_null());
  EXPECT_TRUE(found->error.is_null());
  EXPECT_EQ(db_.Exec("SELECT count(*) FROM jobs WHERE slug IS NULL AND tags IS NULL AND error "
                     "IS NULL AND last_run_id IS NULL AND progress IS NULL")
                .Int64(0, 0),
            1)
      << "empty strings and null JSON are stored as NULL";
}

TEST_F(PgJobStoreTest, InsertWritesTheStoredTextsAndThePreSerializedSpec) {
  JobRecord job = NewJob("job_texts");
  job.payload = StoredJson::FromColumn(R"({"pre":1})");
  job.spec_text = R"({"priority":7})";
  job.tags = StoredJson::FromColumn(R"({"t":"v"})");
  Inserted(job);
  std::optional<JobRecord> found = Reader().Find("proj_a", "job_texts");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->payload.value(), nlohmann::json({{"pre", 1}}));
  EXPECT_EQ(found->spec.priority, 7);
  EXPECT_EQ(found->tags.value(), nlohmann::json({{"t", "v"}}));
}

TEST_F(PgJobStoreTest, InsertCountsAnActiveJobOnly) {
  Inserted(NewJob("job_active"));
  JobRecord disabled = NewJob("job_disabled");
  disabled.enabled = false;
  Inserted(disabled);
  JobRecord deleted = NewJob("job_deleted");
  deleted.deleted_at = kT0;
  Inserted(deleted);
  counters_.KeepOperation();
  EXPECT_EQ(counters_.kept().active_jobs, (std::map<std::string, int64_t>{{"proj_a", 1}}));
}

TEST_F(PgJobStoreTest, SaveWritesEveryMutableColumn) {
  JobRecord job = Inserted(NewJob("job_full"));
  JobRecord changed = FullJob();
  changed.rowid = job.rowid;
  Writer(db_).Save(changed);
  std::optional<JobRecord> found = Reader().Find("proj_a", "job_full");
  ASSERT_TRUE(found);
  ExpectSameJob(*found, changed);
}

TEST_F(PgJobStoreTest, SaveStateWritesOnlyWhatFollowsTheLatestRun) {
  JobRecord job = Inserted(NewJob("job_s"));
  JobRecord changed = job;
  changed.payload = StoredJson::Of({{"ignored", true}});
  changed.queue = "ignored";
  changed.next_run_at = At(100);
  changed.last_run_id = "run_9";
  changed.state = JobState::kFailed;
  changed.attempt = 2;
  changed.max_attempts = 7;
  changed.started_at = At(1);
  changed.completed_at = At(2);
  changed.next_retry_at = At(3);
  changed.progress = 0.5;
  changed.duration_ms = 99;
  changed.error = {{"message", "x"}};
  changed.updated_at = At(4);
  Writer(db_).SaveState(changed);

  JobRecord want = changed;
  want.payload = job.payload;
  want.queue = job.queue;
  std::optional<JobRecord> found = Reader().Find("proj_a", "job_s");
  ASSERT_TRUE(found);
  ExpectSameJob(*found, want);
}

TEST_F(PgJobStoreTest, SaveEnabledWritesOnlyTheFlag) {
  JobRecord job = Inserted(NewJob("job_e"));
  JobRecord changed = job;
  changed.enabled = !job.enabled;
  changed.queue = "ignored";
  changed.state = JobState::kFailed;
  changed.next_run_at = At(100);
  Writer(db_).SaveEnabled(changed);

  JobRecord want = job;
  want.enabled = changed.enabled;
  std::optional<JobRecord> found = Reader().Find("proj_a", "job_e");
  ASSERT_TRUE(found);
  ExpectSameJob(*found, want);
}

TEST_F(PgJobStoreTest, FindByIdSeesDeletedJobsBySlugOnlyLiveOnesAndNeverAnotherProject) {
  JobRecord live = NewJob("job_live");
  live.slug = "shared";
  Inserted(live);
  JobRecord gone = NewJob("job_gone");
  gone.slug = "gone";
  gone.deleted_at = kT0;
  Inserted(gone);
  PgJobStore jobs = Reader();
  EXPECT_EQ(jobs.Find("proj_a", "shared")->id, "job_live");
  EXPECT_TRUE(jobs.Find("proj_a", "job_gone"));
  EXPECT_FALSE(jobs.Find("proj_a", "gone"));
  EXPECT_FALSE(jobs.Find("proj_b", "job_live"));
  EXPECT_FALSE(jobs.Find("proj_b", "shared"));
  EXPECT_EQ(jobs.FindInAnyProject("job_live")->project_id, "proj_a");
  EXPECT_TRUE(jobs.FindInAnyProject("job_gone"));
  EXPECT_FALSE(jobs.FindInAnyProject("job_none"));
}

TEST_F(PgJobStoreTest, SlugIsTakenByAnotherLiveJobOfTheProjectOnly) {
  JobRecord live = NewJob("job_live");
  live.slug = "report";
  Inserted(live);
  JobRecord gone = NewJob("job_gone");
  gone.slug = "old";
  gone.deleted_at = kT0;
  Inserted(gone);
  PgJobStore jobs = Reader();
  EXPECT_TRUE(jobs.SlugTaken("proj_a", "report", ""));
  EXPECT_FALSE(jobs.SlugTaken("proj_a", "report", "job_live"));
  EXPECT_FALSE(jobs.SlugTaken("proj_b", "report", ""));
  EXPECT_FALSE(jobs.SlugTaken("proj_a", "old", ""));
}

TEST_F(PgJobStoreTest, ListFiltersByStateQueueTypeAndCreatedRange) {
  for (int i = 0; i < 6; ++i) {
    JobRecord job = NewJob("job_" + std::to_string(i));
    job.created_at = At(i * 1000);
    job.state = i % 2 == 0 ? JobState::kSucceeded : JobState::kPending;
    job.queue = i < 3 ? "fast" : "slow";
    job.job_type = i % 3 == 0 ? "sms" : "email";
    Inserted(job);
  }
  Inserted(NewJob("job_other", "proj_b"));
  PgJobStore jobs = Reader();
  auto list = [&](JobFilter filter) { return Ids(jobs.List("proj_a", filter, std::nullopt, 50)); };
  using V = std::vector<std::string>;
  EXPECT_EQ(list({}), (V{"job_5", "job_4", "job_3", "job_2", "job_1", "job_0"}));
  EXPECT_EQ(list(Where([](JobFilter& f) { f.state = JobState::kPending; })),
            (V{"job_5", "job_3", "job_1"}));
  EXPECT_EQ(list(Where([](JobFilter& f) { f.queue = "fast"; })), (V{"job_2", "job_1", "job_0"}));
  EXPECT_EQ(list(Where([](JobFilter& f) { f.job_type = "sms"; })), (V{"job_3", "job_0"}));
  // Both ends of the range are exclusive.
  EXPECT_EQ(list(Where([](JobFilter& f) {
              f.created_after = At(1000);
              f.created_before = At(4000);
            })),
            (V{"job_3", "job_2"}));
  EXPECT_EQ(list(Where([](JobFilter& f) {
              f.state = JobState::kSucceeded;
              f.queue = "slow";
            })),
            (V{"job_4"}));
}

TEST_F(PgJobStoreTest, ListMatchesEveryTagAsAString) {
  auto tagged = [&](const std::string& id, nlohmann::json tags) {
    JobRecord job = NewJob(id);
    job.tags = StoredJson::Of(std::move(tags));
    Inserted(job);
  };
  tagged("job_both", {{"env", "prod"}, {"team", "core"}});
  tagged("job_env", {{"env", "prod"}});
  tagged("job_number", {{"env", 5}});
  tagged("job_odd_key", {{"we\"ird.key", "x"}});
  tagged("job_untagged", nullptr);
  PgJobStore jobs = Reader();
  auto with_tags = [&](std::vector<std::pair<std::string, std::string>> tags) {
    std::vector<std::string> ids =
        Ids(jobs.List("proj_a", Where([&](JobFilter& f) { f.tags = tags; }), std::nullopt, 50));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(with_tags({{"env", "prod"}}), (V{"job_both", "job_env"}));
  EXPECT_EQ(with_tags({{"env", "prod"}, {"team", "core"}}), (V{"job_both"}));
  EXPECT_EQ(with_tags({{"env", "5"}}), V{}) << "a number never equals the text";
  EXPECT_EQ(with_tags({{"we\"ird.key", "x"}}), (V{"job_odd_key"}));
  EXPECT_EQ(with_tags({{"env", "prod"}, {"env", "dev"}}), V{});
}

TEST_F(PgJobStoreTest, ListLeavesDeletedJobsOutUnlessAsked) {
  Inserted(NewJob("job_live"));
  JobRecord gone = NewJob("job_gone");
  gone.deleted_at = kT0;
  Inserted(gone);
  PgJobStore jobs = Reader();
  EXPECT_EQ(Ids(jobs.List("proj_a", {}, std::nullopt, 10)), std::vector<std::string>{"job_live"});
  EXPECT_EQ(
      jobs.List("proj_a", Where([](JobFilter& f) { f.include_deleted = true; }), std::nullopt, 10)
          .size(),
      2u);
}

TEST_F(PgJobStoreTest, ListPagesNewestFirstStrictlyAfterTheCursor) {
  // Pairs share a creation time, so the id breaks the tie.
  for (int i = 0; i < 7; ++i) {
    JobRecord job = NewJob("job_" + std::to_string(i));
    job.created_at = At(i / 2);
    Inserted(job);
  }
  PgJobStore jobs = Reader();
  std::vector<std::string> seen;
  std::optional<PageCursor> cursor;
  for (int page = 0; page < 10; ++page) {
    std::vector<JobRecord> rows = jobs.List("proj_a", {}, cursor, 3);
    if (rows.empty()) break;
    for (const JobRecord& job : rows) seen.push_back(job.id);
    cursor = PageCursor{ToMillis(rows.back().created_at), rows.back().id};
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"job_6", "job_5", "job_4", "job_3", "job_2", "job_1",
                                            "job_0"}));
}

TEST_F(PgJobStoreTest, ChildrenInStateAreTheParentsLiveChildrenInThatState) {
  auto child = [&](const std::string& id, JobState state, bool deleted) {
    JobRecord job = NewJob(id);
    job.parent_job_id = "job_parent";
    job.state = state;
    if (deleted) job.deleted_at = kT0;
    Inserted(job);
  };
  child("job_c1", JobState::kScheduled, false);
  child("job_c2", JobState::kScheduled, false);
  child("job_c3", JobState::kPending, false);
  child("job_c4", JobState::kScheduled, true);
  Inserted(NewJob("job_orphan"));
  std::vector<std::string> ids = Ids(Reader().ChildrenInState("job_parent", JobState::kScheduled));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"job_c1", "job_c2"}));
}

TEST_F(PgJobStoreTest, DueScheduledAreLiveEnabledDueJobsEarliestFirst) {
  auto scheduled = [&](const std::string& id, OptTime next, bool enabled, bool deleted) {
    JobRecord job = NewJob(id);
    job.next_run_at = next;
    job.enabled = enabled;
    if (deleted) job.deleted_at = kT0;
    Inserted(job);
  };
  scheduled("job_late", At(30), true, false);
  scheduled("job_early", At(10), true, false);
  scheduled("job_now", At(50), true, false);
  scheduled("job_future", At(51), true, false);
  scheduled("job_disabled", At(1), false, false);
  scheduled("job_deleted", At(1), true, true);
  scheduled("job_unscheduled", std::nullopt, true, false);
  PgJobStore jobs = Reader();
  EXPECT_EQ(Ids(jobs.DueScheduled(At(50), 10)),
            (std::vector<std::string>{"job_early", "job_late", "job_now"}));
  EXPECT_EQ(Ids(jobs.DueScheduled(At(50), 2)), (std::vector<std::string>{"job_early", "job_late"}));
  EXPECT_EQ(jobs.EarliestNextRun(), At(10));
}

TEST_F(PgJobStoreTest, EarliestNextRunIsAbsentWithoutScheduledJobs) {
  JobRecord disabled = NewJob("job_disabled");
  disabled.next_run_at = At(1);
  disabled.enabled = false;
  Inserted(disabled);
  EXPECT_EQ(Reader().EarliestNextRun(), std::nullopt);
}

// A new database, or one just filled, has no statistics until autovacuum's first ANALYZE.
// The timer's questions (when is the next fire, which fires are due) run at every pass of
// every node, so they must not scan the table meanwhile (pg/schema.cc, migration 8).
TEST_F(PgJobStoreTest, TheTimerReadsTheIndexOfDueJobsBeforeTheTableHasStatistics) {
  db_.Exec("ALTER TABLE jobs SET (autovacuum_enabled = false)");  // no ANALYZE meanwhile
  db_.Exec(
      "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
      "version, state, attempt, max_attempts, created_at, updated_at) "
      "SELECT 'job_' || i, 'proj_a', 'email', 'default', '{}', '{}', 0, 1, 1, 'pending', 0, 3, "
      "$1, $1 FROM generate_series(1, 20000) AS i",
      ToMillis(kT0));
  JobRecord cron = NewJob("job_cron");
  cron.next_run_at = At(10);
  Inserted(cron);
  auto table_scans = [&] {
    db_.Exec("SELECT pg_stat_force_next_flush()");
    return db_.Exec("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'jobs'").Int64(0, 0);
  };
  int64_t before = table_scans();
  PgJobStore jobs = Reader();
  EXPECT_EQ(jobs.EarliestNextRun(), At(10));
  EXPECT_EQ(Ids(jobs.DueScheduled(At(50), 10)), (std::vector<std::string>{"job_cron"}));
  EXPECT_EQ(table_scans(), before) << "the timer read every job to find one";
}

// The rule several flared nodes rely on: each due fire is taken by one node.
TEST_F(PgJobStoreTest, ConcurrentWritersTakeDisjointDueJobsAndNeverAFireTwice) {
  std::set<std::string> all;
  for (int i = 0; i < 10; ++i) {
    JobRecord job = NewJob("job_" + std::to_string(i));
    job.next_run_at = At(i);
    Inserted(job);
    all.insert(job.id);
  }
  pg::Connection first_db(database_.uri()), second_db(database_.uri());
  auto first_tx = std::make_unique<pg::Transaction>(first_db);
  pg::Transaction second_tx(second_db);
  PgJobStore first = Writer(first_db), second = Writer(second_db);
  std::vector<JobRecord> first_fires = first.DueScheduled(At(100), 5);
  std::vector<JobRecord> second_fires = second.DueScheduled(At(100), 5);
  ASSERT_EQ(first_fires.size(), 5u);
  ASSERT_EQ(second_fires.size(), 5u);
  std::set<std::string> taken;
  for (const JobRecord& job : first_fires) taken.insert(job.id);
  for (const JobRecord& job : second_fires) {
    EXPECT_TRUE(taken.insert(job.id).second) << job.id << " fired by both";
  }
  EXPECT_EQ(taken, all);

  // The first node fires its jobs (next_run_at moves past now) and commits.
  for (JobRecord& job : first_fires) {
    job.next_run_at = At(10'000);
    first.SaveState(job);
  }
  first_tx->Commit();
  first_tx.reset();

  // The second node, still in its transaction, sees only its own jobs as due: the first's
  // are no longer due, its own are held by itself.
  std::vector<std::string> again = Ids(second.DueScheduled(At(100), 10));
  std::vector<std::string> second_ids = Ids(second_fires);
  std::sort(again.begin(), again.end());
  std::sort(second_ids.begin(), second_ids.end());
  EXPECT_EQ(again, second_ids);
  // A third writer skips what the second holds and finds nothing else due.
  {
    pg::Transaction third_tx(db_);
    EXPECT_TRUE(Writer(db_).DueScheduled(At(100), 10).empty());
  }
  // Once the second gives its jobs up without firing, they are due again, and only they.
  second_tx.Rollback();
  std::vector<std::string> released = Ids(Reader().DueScheduled(At(100), 10));
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, second_ids);
}

TEST_F(PgJobStoreTest, FindInAWriteTransactionLocksTheJobUntilItEnds) {
  Inserted(NewJob("job_1"));
  pg::Connection other_db(database_.uri());
  pg::Transaction holder(db_);
  ASSERT_TRUE(Writer(db_).Find("proj_a", "job_1"));

  other_db.Exec("SET lock_timeout = '200ms'");
  EXPECT_TRUE(PgJobStore(Session{other_db}).Find("proj_a", "job_1")) << "a read does not wait";
  {
    pg::Transaction waiter(other_db);
    try {
      Writer(other_db).Find("proj_a", "job_1");
      ADD_FAILURE() << "a second writer read a job another writer holds";
    } catch (const pg::PgError& e) {
      EXPECT_EQ(e.sqlstate(), "55P03") << e.what();  // lock_not_available
    }
  }
  holder.Commit();
  pg::Transaction after(other_db);
  EXPECT_TRUE(Writer(other_db).Find("proj_a", "job_1"));
}

TEST_F(PgJobStoreTest, IdempotencyKeysAreFoundPerProjectAndUnique) {
  PgJobStore jobs = Writer(db_);
  EXPECT_FALSE(jobs.FindIdempotencyKey("proj_a", "k1"));
  jobs.InsertIdempotencyKey("proj_a", "k1", {"hash", "job_1", R"({"id":"job_1"})"}, kT0);
  std::optional<IdempotencyRecord> found = Reader().FindIdempotencyKey("proj_a", "k1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->request_hash, "hash");
  EXPECT_EQ(found->job_id, "job_1");
  EXPECT_EQ(found->response, R"({"id":"job_1"})");
  EXPECT_FALSE(Reader().FindIdempotencyKey("proj_b", "k1"));
  EXPECT_EQ(db_.Exec("SELECT created_at FROM idempotency_keys").Int64(0, 0), ToMillis(kT0));
  try {
    jobs.InsertIdempotencyKey("proj_a", "k1", {"other", "job_2", "{}"}, kT0);
    db_.FlushDeferred();  // a write transaction's insert fails with its next statement
    ADD_FAILURE() << "a key was taken twice";
  } catch (const pg::PgError& e) {
    EXPECT_TRUE(e.IsUniqueViolation()) << e.what();
  }
}

TEST_F(PgJobStoreTest, AStateThisFlaredDoesNotKnowFailsTheRead) {
  Inserted(NewJob("job_1"));
  db_.Exec("UPDATE jobs SET state = 'exploded'");
  EXPECT_THROW(Reader().Find("proj_a", "job_1"), std::runtime_error);
}

}  // namespace
}  // namespace flare::daemon::postgres::job_store_test
