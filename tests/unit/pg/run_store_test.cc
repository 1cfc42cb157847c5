// The PostgreSQL RunStore against a real database: what store/run_store.h promises (the
// SQLite store's semantics), and what session.h promises on top for concurrent writers:
// queue queries skip the rows another transaction holds, lookups wait for them.

#include "daemon/store/postgres/run_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/pg/transaction.h"
#include "daemon/store/postgres/columns.h"
#include "tests/testutil/pg_database.h"

// A namespace of its own: the unity build compiles the tests of this directory together.
namespace flare::daemon::postgres::run_store_test {
namespace {

using std::chrono::milliseconds;

const TimePoint kT0 = FromMillis(1'700'000'000'123);

TimePoint At(int64_t ms_after_t0) { return kT0 + milliseconds(ms_after_t0); }

// Every field of a run, so a failed comparison names the ones that differ.
nlohmann::json Fields(const RunRecord& r) {
  auto time = [](const OptTime& t) -> nlohmann::json {
    if (!t) return nullptr;
    return ToMillis(*t);
  };
  return {{"rowid", r.rowid},
          {"id", r.id},
          {"project_id", r.project_id},
          {"job_id", r.job_id},
          {"job_version", r.job_version},
          {"trigger", r.trigger},
          {"rerun_of", r.rerun_of},
          {"scheduled_for", time(r.scheduled_for)},
          {"state", std::string(ToString(r.state))},
          {"attempt", r.attempt},
          {"max_attempts", r.max_attempts},
          {"timeout_seconds", r.timeout_seconds},
          {"queue", r.queue},
          {"job_type", r.job_type},
          {"priority", r.priority},
          {"is_http", r.is_http},
          {"due_at", time(r.due_at)},
          {"next_retry_at", time(r.next_retry_at)},
          {"worker_id", r.worker_id},
          {"lease_id", r.lease_id},
          {"lease_expires_at", time(r.lease_expires_at)},
          {"progress", r.progress ? nlohmann::json(*r.progress) : nlohmann::json()},
          {"payload", r.payload},
          {"created_at", ToMillis(r.created_at)},
          {"ready_at", time(r.ready_at)},
          {"started_at", time(r.started_at)},
          {"completed_at", time(r.completed_at)},
          {"duration_ms", r.duration_ms ? nlohmann::json(*r.duration_ms) : nlohmann::json()},
          {"failure_reason", r.failure_reason},
          {"error", r.error},
          {"request", r.request.value()},
          {"result", r.result.value()},
          {"trace", r.trace.value()},
          {"cancel_requested", r.cancel_requested},
          {"acked_lease_id", r.acked_lease_id},
          {"ack_response", r.ack_response},
          {"node_id", r.node_id}};
}

std::vector<std::string> Ids(const std::vector<RunRecord>& runs) {
  std::vector<std::string> ids;
  for (const RunRecord& run : runs) ids.push_back(run.id);
  return ids;
}

class PgRunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { pg::Migrate(db_, pg::FlareSchema()); }

  /// A pending worker run of project p1, job j1, queue "default", created `age` ms after T0.
  static RunRecord PendingRun(const std::string& id, int64_t age = 0) {
    RunRecord run;
    run.id = id;
    run.project_id = "p1";
    run.job_id = "j1";
    run.queue = "default";
    run.job_type = "email";
    run.state = RunState::kPending;
    run.created_at = At(age);
    run.ready_at = run.due_at = At(age);
    return run;
  }
  // The rowid is the database's: the store does not read it back, the test does.
  RunRecord Inserted(RunRecord run) {
    store_.Insert(run);
    run.rowid = db_.Exec("SELECT rowid FROM runs WHERE id = $1", run.id).Int64(0, 0);
    return run;
  }
  void AddNode(const std::string& id, TimePoint last_seen, OptTime stopped = std::nullopt) {
    db_.Exec("INSERT INTO nodes (id, started_at, last_seen_at, stopped_at) VALUES ($1, $2, $2, $3)",
             id, Millis(last_seen), Millis(stopped));
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_{database_.uri()};
  PgRunStore store_{Session{db_, nullptr}};  // a read lease's: no locks, no counters
};

TEST_F(PgRunStoreTest, EveryFieldRoundTripsThroughInsertFindAndSave) {
  RunRecord run = PendingRun("run_1");
  run.job_version = 7;
  run.trigger = "CRON";
  run.rerun_of = "run_0";
  run.scheduled_for = At(-5'000);
  run.state = RunState::kProcessing;
  run.attempt = 2;
  run.max_attempts = 9;
  run.timeout_seconds = 61;
  run.priority = -3;
  run.is_http = true;
  run.next_retry_at = At(17);
  run.worker_id = "w1";
  run.lease_id = "lease_1";
  run.lease_expires_at = At(60'001);
  run.progress = 0.1;  // not exact in binary: must come back as the same double
  run.payload = {{"to", "a@b.c"}, {"n", {1, 2.5, "x\"y"}}};
  run.started_at = At(3);
  run.completed_at = At(4);
  run.duration_ms = 1'234'567'890'123;
  run.failure_reason = "TIMEOUT";
  run.error = {{"type", "Timeout"}};
  run.request = StoredJson::Of({{"method", "POST"}});
  run.result = StoredJson::Of({{"ok", true}});
  run.trace = StoredJson::Of({{"spans", nlohmann::json::array()}});
  run.cancel_requested = true;
  run.acked_lease_id = "lease_0";
  run.ack_response = {{"status", 200}};
  run.node_id = "node_a";

  run = Inserted(run);
  EXPECT_GT(run.rowid, 0);
  std::optional<RunRecord> found = store_.Find("p1", "run_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(Fields(*found), Fields(run));

  // Every changing field back to its empty value (NULL in the row) or to another value.
  RunRecord saved = *found;
  saved.job_version = 8;
  saved.state = RunState::kSucceeded;
  saved.attempt = 3;
  saved.max_attempts = 4;
  saved.timeout_seconds = 5;
  saved.queue = "other";
  saved.job_type = "sms";
  saved.priority = 10;
  saved.is_http = false;
  saved.due_at.reset();
  saved.next_retry_at.reset();
  saved.worker_id.clear();
  saved.lease_id.clear();
  saved.lease_expires_at.reset();
  saved.progress = 1.0 / 3.0;
  saved.ready_at = At(100);
  saved.started_at.reset();
  saved.completed_at = At(200);
  saved.duration_ms.reset();
  saved.failure_reason.clear();
  saved.error = nullptr;
  saved.request = StoredJson();
  saved.result = StoredJson::Of("done");
  saved.trace = StoredJson();
  saved.cancel_requested = false;
  saved.acked_lease_id.clear();
  saved.ack_response = nullptr;
  saved.node_id.clear();
  store_.Save(saved);
  found = store_.Find("p1", "run_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(Fields(*found), Fields(saved));
}

TEST_F(PgRunStoreTest, SaveKeepsWhatARunIsBornWithAndNeedsItsProject) {
  RunRecord run = Inserted(PendingRun("run_1"));
  RunRecord changed = run;
  changed.job_id = "j2";
  changed.trigger = "RERUN";
  changed.rerun_of = "run_0";
  changed.scheduled_for = At(1);
  changed.payload = {{"x", 1}};
  changed.created_at = At(99);
  changed.attempt = 5;
  store_.Save(changed);
  RunRecord expected = run;
  expected.attempt = 5;
  EXPECT_EQ(Fields(*store_.Find("p1", "run_1")), Fields(expected));

  changed.project_id = "p2";  // not this project's run: nothing written
  changed.attempt = 6;
  store_.Save(changed);
  EXPECT_EQ(store_.Find("p1", "run_1")->attempt, 5);
}

TEST_F(PgRunStoreTest, FindAndFindOfJobMatchTheirOwnerOnly) {
  Inserted(PendingRun("run_1"));
  EXPECT_TRUE(store_.Find("p1", "run_1"));
  EXPECT_FALSE(store_.Find("p2", "run_1"));
  EXPECT_FALSE(store_.Find("p1", "run_2"));
  EXPECT_TRUE(store_.FindOfJob("j1", "run_1"));
  EXPECT_FALSE(store_.FindOfJob("j2", "run_1"));
}

TEST_F(PgRunStoreTest, OfJobInStateReturnsTheJobsRunsInThoseStatesOldestFirst) {
  RunRecord scheduled = PendingRun("r_scheduled");
  scheduled.state = RunState::kScheduled;
  RunRecord failed = PendingRun("r_failed");
  failed.state = RunState::kFailed;
  RunRecord done = PendingRun("r_done");
  done.state = RunState::kSucceeded;
  RunRecord other_job = PendingRun("r_other_job");
  other_job.job_id = "j2";
  for (const RunRecord& run : {failed, done, PendingRun("r_pending"), scheduled, other_job})
    Inserted(run);
  EXPECT_EQ(
      Ids(store_.OfJobInState("j1", {RunState::kScheduled, RunState::kFailed, RunState::kPending})),
      (std::vector<std::string>{"r_failed", "r_pending", "r_scheduled"}));
  EXPECT_EQ(Ids(store_.OfJobInState("j1", {RunState::kCancelled})), std::vector<std::string>{});
}

TEST_F(PgRunStoreTest, ClaimableIsInPriorityThenDueThenAgeOrder) {
  auto run = [](const std::string& id, int priority, int64_t due) {
    RunRecord r = PendingRun(id);
    r.priority = priority;
    r.due_at = At(due);
    return r;
  };
  // Inserted out of order; equal priority and due time fall back to insertion (rowid) order.
  for (const RunRecord& r : {run("low", 0, 0), run("high_late", 5, 20), run("tie_1", 1, 10),
                             run("high_early", 5, 10), run("tie_2", 1, 10)})
    Inserted(r);
  EXPECT_EQ(Ids(store_.Claimable("p1", {"default"}, {}, 10)),
            (std::vector<std::string>{"high_early", "high_late", "tie_1", "tie_2", "low"}));
  EXPECT_EQ(Ids(store_.Claimable("p1", {"default"}, {}, 2)),
            (std::vector<std::string>{"high_early", "high_late"}));
}

TEST_F(PgRunStoreTest, ClaimableTakesPendingWorkerRunsOfTheAskedQueuesAndTypes) {
  RunRecord other_project = PendingRun("other_project");
  other_project.project_id = "p2";
  RunRecord other_queue = PendingRun("other_queue");
  other_queue.queue = "slow";
  RunRecord odd_queue = PendingRun("odd_queue");
  odd_queue.queue = "a,\"b\\ {c}";  // needs quoting in an array literal
  RunRecord http = PendingRun("http");
  http.is_http = true;
  RunRecord scheduled = PendingRun("scheduled");
  scheduled.state = RunState::kScheduled;
  RunRecord sms = PendingRun("sms");
  sms.job_type = "sms";
  for (const RunRecord& r :
       {PendingRun("email"), other_project, other_queue, odd_queue, http, scheduled, sms})
    Inserted(r);

  EXPECT_EQ(Ids(store_.Claimable("p1", {"default"}, {}, 10)),
            (std::vector<std::string>{"email", "sms"}));
  EXPECT_EQ(Ids(store_.Claimable("p1", {"default"}, {"sms"}, 10)), std::vector<std::string>{"sms"});
  EXPECT_EQ(Ids(store_.Claimable("p1", {odd_queue.queue, "slow"}, {}, 10)),
            (std::vector<std::string>{"other_queue", "odd_queue"}));
  EXPECT_EQ(Ids(store_.Claimable("p1", {}, {}, 10)), std::vector<std::string>{});
}

TEST_F(PgRunStoreTest, DueWaitingReturnsScheduledAndFailedRunsDueByNowEarliestFirst) {
  auto waiting = [](const std::string& id, RunState state, OptTime due) {
    RunRecord r = PendingRun(id);
    r.state = state;
    r.due_at = due;
    return r;
  };
  for (const RunRecord& r : {waiting("failed_due", RunState::kFailed, At(5)),
                             waiting("scheduled_now", RunState::kScheduled, At(10)),
                             waiting("scheduled_early", RunState::kScheduled, At(1)),
                             waiting("scheduled_later", RunState::kScheduled, At(11)),
                             waiting("paused", RunState::kScheduled, std::nullopt),
                             waiting("pending_due", RunState::kPending, At(0))})
    Inserted(r);
  EXPECT_EQ(Ids(store_.DueWaiting(At(10), 10)),
            (std::vector<std::string>{"scheduled_early", "failed_due", "scheduled_now"}));
  EXPECT_EQ(Ids(store_.DueWaiting(At(10), 1)), std::vector<std::string>{"scheduled_early"});
  EXPECT_EQ(store_.EarliestWaitingDue(), At(1));
}

TEST_F(PgRunStoreTest, ExpiredLeasesAreProcessingRunsWhoseLeaseEndedByNow) {
  auto leased = [](const std::string& id, RunState state, TimePoint expires) {
    RunRecord r = PendingRun(id);
    r.state = state;
    r.worker_id = "w1";
    r.lease_expires_at = expires;
    return r;
  };
  for (const RunRecord& r : {leased("at_now", RunState::kProcessing, At(10)),
                             leased("later", RunState::kProcessing, At(11)),
                             leased("earlier", RunState::kProcessing, At(2)),
                             leased("done", RunState::kSucceeded, At(1))})
    Inserted(r);
  EXPECT_EQ(Ids(store_.ExpiredLeases(At(10), 10)), (std::vector<std::string>{"earlier", "at_now"}));
  EXPECT_EQ(Ids(store_.ExpiredLeases(At(10), 1)), std::vector<std::string>{"earlier"});
  EXPECT_EQ(store_.EarliestLeaseExpiry(), At(2));
}

TEST_F(PgRunStoreTest, EarliestTimesAreAbsentWithoutWaitingOrLeasedRuns) {
  Inserted(PendingRun("pending"));
  EXPECT_EQ(store_.EarliestWaitingDue(), std::nullopt);
  EXPECT_EQ(store_.EarliestLeaseExpiry(), std::nullopt);
}

TEST_F(PgRunStoreTest, HeldByAndOfJobHeldByReturnTheWorkersProcessingRuns) {
  auto held = [](const std::string& id, const std::string& job, const std::string& worker) {
    RunRecord r = PendingRun(id);
    r.job_id = job;
    r.worker_id = worker;
    r.state = RunState::kProcessing;
    return r;
  };
  RunRecord http = held("http", "j1", "w1");
  http.is_http = true;
  RunRecord finished = held("finished", "j1", "w1");
  finished.state = RunState::kSucceeded;
  RunRecord other_project = held("other_project", "j3", "w1");
  other_project.project_id = "p2";
  for (const RunRecord& r :
       {held("j1_b", "j1", "w1"), held("j2_a", "j2", "w1"), held("j1_a", "j1", "w1"),
        held("w2", "j1", "w2"), http, finished, other_project})
    Inserted(r);

  std::vector<std::string> held_by_w1 = Ids(store_.HeldBy("p1", "w1"));
  std::sort(held_by_w1.begin(), held_by_w1.end());
  EXPECT_EQ(held_by_w1, (std::vector<std::string>{"http", "j1_a", "j1_b", "j2_a"}));
  EXPECT_EQ(Ids(store_.OfJobHeldBy("j1", "w1")), (std::vector<std::string>{"j1_b", "j1_a"}));
}

TEST_F(PgRunStoreTest, ListPagesNewestFirstAfterTheCursor) {
  for (int i = 0; i < 5; ++i) Inserted(PendingRun("run_" + std::to_string(i), i));
  RunRecord same_time = PendingRun("run_3b", 3);  // ties on created_at order by id
  Inserted(same_time);

  std::vector<RunRecord> first = store_.List("p1", {}, std::nullopt, 3);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"run_4", "run_3b", "run_3"}));
  PageCursor cursor{ToMillis(first.back().created_at), first.back().id};
  EXPECT_EQ(Ids(store_.List("p1", {}, cursor, 3)),
            (std::vector<std::string>{"run_2", "run_1", "run_0"}));
  EXPECT_EQ(Ids(store_.List("p2", {}, std::nullopt, 3)), std::vector<std::string>{});
}

TEST_F(PgRunStoreTest, ListFiltersByJobStateAndTrigger) {
  RunRecord other_job = PendingRun("other_job", 1);
  other_job.job_id = "j2";
  RunRecord done = PendingRun("done", 2);
  done.state = RunState::kSucceeded;
  RunRecord cron = PendingRun("cron", 3);
  cron.trigger = "CRON";
  for (const RunRecord& r : {PendingRun("plain", 0), other_job, done, cron}) Inserted(r);

  EXPECT_EQ(Ids(store_.List("p1", {"j2", std::nullopt, ""}, std::nullopt, 10)),
            std::vector<std::string>{"other_job"});
  EXPECT_EQ(Ids(store_.List("p1", {"", RunState::kSucceeded, ""}, std::nullopt, 10)),
            std::vector<std::string>{"done"});
  EXPECT_EQ(Ids(store_.List("p1", {"", std::nullopt, "CRON"}, std::nullopt, 10)),
            std::vector<std::string>{"cron"});
  EXPECT_EQ(Ids(store_.List("p1", {"j1", RunState::kPending, "API"}, std::nullopt, 10)),
            (std::vector<std::string>{"plain"}));
}

TEST_F(PgRunStoreTest, TakeCancelNoticesReturnsEachCancelledWorkerRunOnce) {
  auto cancelled = [](const std::string& id, const std::string& worker) {
    RunRecord r = PendingRun(id);
    r.state = RunState::kCancelled;
    r.worker_id = worker;
    r.cancel_requested = true;
    return r;
  };
  RunRecord http = cancelled("http", "w1");
  http.is_http = true;
  RunRecord still_processing = cancelled("processing", "w1");
  still_processing.state = RunState::kProcessing;
  for (const RunRecord& r :
       {cancelled("mine", "w1"), cancelled("theirs", "w2"), http, still_processing})
    Inserted(r);

  std::vector<CancelNotice> notices = store_.TakeCancelNotices("p1", "w1");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].job_id, "j1");
  EXPECT_EQ(notices[0].run_id, "mine");
  EXPECT_FALSE(store_.Find("p1", "mine")->cancel_requested);
  EXPECT_TRUE(store_.TakeCancelNotices("p1", "w1").empty());
  EXPECT_TRUE(store_.Find("p1", "theirs")->cancel_requested);
}

TEST_F(PgRunStoreTest, HttpRunsOfLostNodesAreThoseOfStoppedSilentUnknownOrNoNodes) {
  AddNode("self", At(0));
  AddNode("alive", At(100));
  AddNode("silent", At(99));
  AddNode("stopped", At(100), At(100));
  auto call = [](const std::string& id, const std::string& node) {
    RunRecord r = PendingRun(id);
    r.is_http = true;
    r.state = RunState::kProcessing;
    r.node_id = node;
    return r;
  };
  RunRecord worker_run = call("worker_run", "silent");
  worker_run.is_http = false;
  RunRecord pending_call = call("pending_call", "silent");
  pending_call.state = RunState::kPending;
  for (const RunRecord& r :
       {call("on_self", "self"), call("on_alive", "alive"), call("on_silent", "silent"),
        call("on_stopped", "stopped"), call("on_unknown", "gone"), call("on_none", ""), worker_run,
        pending_call})
    Inserted(r);

  std::vector<std::string> lost = Ids(store_.HttpRunsOfLostNodes("self", At(100), -1));
  std::sort(lost.begin(), lost.end());
  EXPECT_EQ(lost, (std::vector<std::string>{"on_none", "on_silent", "on_stopped", "on_unknown"}));
  EXPECT_EQ(store_.HttpRunsOfLostNodes("self", At(100), 2).size(), 2u);
  // The oldest sighting among other live nodes with calls in flight: "silent", not "self".
  EXPECT_EQ(store_.OldestBusyNodeSeen("self"), At(99));
}

TEST_F(PgRunStoreTest, PendingHttpRunsAreInDueOrder) {
  auto call = [](const std::string& id, int64_t due) {
    RunRecord r = PendingRun(id);
    r.is_http = true;
    r.due_at = At(due);
    return r;
  };
  for (const RunRecord& r : {call("late", 9), call("early", 1), PendingRun("worker_run")})
    Inserted(r);
  EXPECT_EQ(Ids(store_.PendingHttpRuns()), (std::vector<std::string>{"early", "late"}));
}

TEST_F(PgRunStoreTest, InsertAndSaveCountTheRunsMovesBetweenQueuesAndStates) {
  CounterDeltas counters;
  PgRunStore writer(Session{db_, &counters});
  RunRecord run = PendingRun("run_1");
  writer.Insert(run);
  run.state = RunState::kProcessing;
  run.queue = "slow";
  writer.Save(run);
  writer.Save(run);  // the same state again: not a move
  counters.KeepOperation();

  using Key = std::tuple<std::string, std::string, RunState>;
  const auto& queues = counters.kept().queues;
  ASSERT_EQ(queues.size(), 2u);
  const auto& left = queues.at(Key{"p1", "default", RunState::kPending});
  EXPECT_EQ(left.current, 0);  // entered at the insert, left at the save
  EXPECT_EQ(left.entered, 1);
  const auto& entered = queues.at(Key{"p1", "slow", RunState::kProcessing});
  EXPECT_EQ(entered.current, 1);
  EXPECT_EQ(entered.entered, 1);
}

// --- two writers at once (session.h) ---

TEST_F(PgRunStoreTest, TwoTransactionsClaimingAtOnceGetDisjointRuns) {
  for (int i = 0; i < 10; ++i) Inserted(PendingRun("run_" + std::to_string(i), i));
  pg::Connection other_db(database_.uri());
  CounterDeltas first_counters, second_counters;
  pg::Transaction first_tx(db_), second_tx(other_db);
  PgRunStore first(Session{db_, &first_counters}), second(Session{other_db, &second_counters});

  std::vector<std::string> first_ids = Ids(first.Claimable("p1", {"default"}, {}, 5));
  // The first transaction still holds its runs: the second skips them without waiting.
  std::vector<std::string> second_ids = Ids(second.Claimable("p1", {"default"}, {}, 5));
  ASSERT_EQ(first_ids.size(), 5u);
  ASSERT_EQ(second_ids.size(), 5u);
  std::set<std::string> all(first_ids.begin(), first_ids.end());
  all.insert(second_ids.begin(), second_ids.end());
  EXPECT_EQ(all.size(), 10u);
}

TEST_F(PgRunStoreTest, QueueQueriesSkipRunsAnotherTransactionHolds) {
  RunRecord due = PendingRun("due");
  due.state = RunState::kScheduled;
  due.due_at = At(0);
  RunRecord expired = PendingRun("expired");
  expired.state = RunState::kProcessing;
  expired.lease_expires_at = At(0);
  Inserted(due);
  Inserted(expired);

  CounterDeltas counters;
  pg::Transaction holding(db_);
  PgRunStore holder(Session{db_, &counters});
  ASSERT_EQ(holder.DueWaiting(At(1), 10).size(), 1u);
  ASSERT_EQ(holder.ExpiredLeases(At(1), 10).size(), 1u);

  pg::Connection other_db(database_.uri());
  other_db.Exec("SET statement_timeout = '5s'");  // a wait instead of a skip fails, not hangs
  pg::Transaction other_tx(other_db);
  PgRunStore other(Session{other_db, &counters});
  EXPECT_TRUE(other.DueWaiting(At(1), 10).empty());
  EXPECT_TRUE(other.ExpiredLeases(At(1), 10).empty());
}

TEST_F(PgRunStoreTest, AWritingFindWaitsForTheTransactionHoldingTheRun) {
  Inserted(PendingRun("run_1"));
  CounterDeltas holder_counters;
  pg::Transaction holding(db_);
  PgRunStore holder(Session{db_, &holder_counters});
  RunRecord run = *holder.Find("p1", "run_1");

  pg::Connection other_db(database_.uri());
  other_db.Exec("SET statement_timeout = '5s'");  // bounds the wait should the holder hang
  // A read lease does not wait.
  EXPECT_EQ(PgRunStore(Session{other_db, nullptr}).Find("p1", "run_1")->attempt, 0);

  auto waiter = std::async(std::launch::async, [&] {
    CounterDeltas counters;
    pg::Transaction tx(other_db);
    std::optional<RunRecord> seen = PgRunStore(Session{other_db, &counters}).Find("p1", "run_1");
    tx.Commit();
    return seen;
  });
  EXPECT_EQ(waiter.wait_for(milliseconds(300)), std::future_status::timeout)
      << "the second Find did not wait for the lock";
  run.attempt = 1;
  holder.Save(run);
  holding.Commit();
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::optional<RunRecord> seen = waiter.get();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->attempt, 1) << "the waiter saw the run as it was before the commit";
}

TEST_F(PgRunStoreTest, ASaveBehindAnotherCountsTheMoveFromTheStateThatOneCommitted) {
  RunRecord run = Inserted(PendingRun("run_1"));
  CounterDeltas first_counters;
  pg::Transaction first_tx(db_);
  RunRecord processing = run;
  processing.state = RunState::kProcessing;
  PgRunStore(Session{db_, &first_counters}).Save(processing);

  pg::Connection other_db(database_.uri());
  other_db.Exec("SET statement_timeout = '5s'");  // bounds the wait should the first hang
  CounterDeltas second_counters;
  auto second_save = std::async(std::launch::async, [&] {
    pg::Transaction tx(other_db);
    RunRecord succeeded = run;  // written from the run as read before the first save
    succeeded.state = RunState::kSucceeded;
    PgRunStore(Session{other_db, &second_counters}).Save(succeeded);
    tx.Commit();
  });
  EXPECT_EQ(second_save.wait_for(milliseconds(300)), std::future_status::timeout);
  first_tx.Commit();
  ASSERT_EQ(second_save.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  second_save.get();

  second_counters.KeepOperation();
  using Key = std::tuple<std::string, std::string, RunState>;
  const auto& queues = second_counters.kept().queues;
  EXPECT_EQ(queues.count(Key{"p1", "default", RunState::kPending}), 0u)
      << "the second save counted a move out of pending, which the first had already counted";
  ASSERT_EQ(queues.count(Key{"p1", "default", RunState::kProcessing}), 1u);
  EXPECT_EQ(queues.at(Key{"p1", "default", RunState::kProcessing}).current, -1);
}

TEST_F(PgRunStoreTest, AWritingFindGivesUpAtTheStatementTimeoutWhileTheRunIsHeld) {
  Inserted(PendingRun("run_1"));
  CounterDeltas counters;
  pg::Transaction holding(db_);
  ASSERT_TRUE(PgRunStore(Session{db_, &counters}).Find("p1", "run_1"));

  pg::Connection other_db(database_.uri());
  other_db.Exec("SET statement_timeout = '200ms'");
  pg::Transaction tx(other_db);
  try {
    PgRunStore(Session{other_db, &counters}).Find("p1", "run_1");
    FAIL() << "the Find did not wait for the lock";
  } catch (const pg::PgError& error) {
    EXPECT_EQ(error.sqlstate(), "57014");  // query_canceled: the timeout ended the wait
  }
}

}  // namespace
}  // namespace flare::daemon::postgres::run_store_test
