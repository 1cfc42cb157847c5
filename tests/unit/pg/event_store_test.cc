// The PostgreSQL EventStore (store/postgres/event_store.h) against a real database: a job's
// events newest first by rowid, the project log forward by position and backward by id with
// its filters, as the SQLite store serves them; and what only this backend has: positions
// that hold back an event until no older transaction can still commit one before it.

#include "daemon/store/postgres/event_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
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

  static EventRecord NewEvent(const std::string& id, const std::string& job_id,
                              const std::string& type = "run.created",
                              const std::string& project = "proj_a") {
    EventRecord event;
    event.id = id;
    event.project_id = project;
    event.job_id = job_id;
    event.type = type;
    event.at = kT0;
    return event;
  }

  EventRecord Append(const std::string& id, const std::string& job_id,
                     const std::string& type = "run.created",
                     const std::string& project = "proj_a") {
    EventRecord event = NewEvent(id, job_id, type, project);
    events_.Append(event);
    ReadBack(event);
    return event;
  }

  // The store sends an append with the session's next statement and leaves its rowid and
  // position to the database: read them back, as the tail does.
  void ReadBack(EventRecord& event) {
    event.rowid = db_.Exec("SELECT rowid FROM events WHERE id = $1", event.id).Int64(0, 0);
    event.position = events_.PositionOf(event.project_id, event.id).position;
  }

  // An event is settled once no transaction of this database that began before its commit
  // is still running; tests here may keep one open on purpose. Wait, bounded, until the tail
  // reads every event of the table before reading ahead.
  void WaitUntilEveryEventSettles() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto settled = [this] {
      std::optional<EventTailPage> page = events_.Tail("", 1000);
      return page && static_cast<int64_t>(page->events.size()) ==
                         db_.Exec("SELECT count(*) FROM events").Int64(0, 0);
    };
    while (!settled()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "events never settled";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // The settled reads (After, Tail) count a transaction of another database of the cluster
  // that ends while they run as one of this database's still running: event_store.cc cannot
  // tell the two apart at that moment, and holding events back is the safe side. Beside the
  // other tests on the cluster such a read may return less for a moment (seen once in about
  // eight full runs), so the reads that expect events are retried, bounded, until they
  // return what is expected.
  // `read` is retried until `view` of what it returns equals `want`; returns the last read.
  template <typename Read, typename Want, typename View>
  static auto Settled(Read read, const Want& want, View view) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto got = read();
    while (!(view(got) == want) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      got = read();
    }
    return got;
  }
  template <typename Read, typename Want>
  static auto Settled(Read read, const Want& want) {
    return Settled(read, want, [](const auto& got) { return got; });
  }
  // After() of proj_a returns `want`, once settled (see Settled).
  void ExpectAfter(const EventLogFilter& filter, const std::string& position, int limit,
                   const V& want) {
    EXPECT_EQ(Settled([&] { return Ids(events_.After("proj_a", filter, position, limit)); }, want),
              want)
        << "After(\"" << position << "\", " << limit << ")";
  }
  static V PageIds(const std::optional<EventTailPage>& page) {
    return page ? Ids(page->events) : V{"(no page)"};
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

TEST_F(PgEventStoreTest, AppendIsSentWithTheSessionsNextStatement) {
  pg::Connection other(database_.uri());
  auto stored = [&] { return other.Exec("SELECT count(*) FROM events").Int64(0, 0); };
  EventRecord event = NewEvent("evt_1", "job_1");
  events_.Append(event);
  EXPECT_EQ(stored(), 0) << "queued on the client until the next statement";
  EXPECT_EQ(db_.Exec("SELECT 1").Int64(0, 0), 1);
  EXPECT_EQ(stored(), 1);
}

TEST_F(PgEventStoreTest, AppendedEventsComeBackWithEveryColumnInRowidOrder) {
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
  ReadBack(full);
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
  std::vector<EventRecord> appended;
  for (int i = 1; i <= 5; ++i) appended.push_back(Append("evt_0" + std::to_string(i), "job_1"));
  Append("evt_09", "job_x", "run.created", "proj_b");
  WaitUntilEveryEventSettles();
  ExpectAfter({}, "", 3, V{"evt_01", "evt_02", "evt_03"});
  ExpectAfter({}, appended[2].position, 10, V{"evt_04", "evt_05"});
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
  WaitUntilEveryEventSettles();
  ExpectAfter(OfJobId("job_slow"), "", 10, V{"evt_2", "evt_4"});
  ExpectAfter(InQueue("fast"), "", 10, V{"evt_1", "evt_3", "evt_5"});
  ExpectAfter(OfTypes({"run.created"}), "", 10, V{"evt_1", "evt_2"});
  EXPECT_EQ(Ids(events_.Before("proj_a", OfTypes({"run.failed", "run.succeeded"}), "", 10)),
            (V{"evt_4", "evt_3"}));
  ExpectAfter(OfTypes({R"(odd "type" \ with quotes)", "x"}), "", 10, V{"evt_5"});
  ExpectAfter(InQueue("fast", {"run.created", "run.failed"}), "", 10, V{"evt_1"});
}

TEST_F(PgEventStoreTest, PositionsSortAsTheLogIsReadAndComeBackFromEveryRead) {
  EventRecord first = Append("evt_1", "job_1");
  EventRecord second = Append("evt_2", "job_1");
  EXPECT_LT(first.position, second.position);
  WaitUntilEveryEventSettles();
  std::vector<EventRecord> read =
      Settled([&] { return events_.After("proj_a", {}, "", 10); }, V{"evt_1", "evt_2"}, Ids);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].position, first.position);
  EXPECT_EQ(read[1].position, second.position);
  EXPECT_EQ(events_.OfJob("job_1", std::nullopt, 1).at(0).position, second.position);
  // Text order is numeric order, however many digits the numbers have (the bus compares
  // positions as text).
  db_.Exec("BEGIN");
  db_.Exec(
      "INSERT INTO events (rowid, id, project_id, job_id, type, at) OVERRIDING SYSTEM "
      "VALUE VALUES (9, 'evt_9', 'proj_a', 'job_1', 't', 0), "
      "(10, 'evt_10', 'proj_a', 'job_1', 't', 0)");
  db_.Exec("COMMIT");
  WaitUntilEveryEventSettles();
  const V ninth_and_tenth{"evt_9", "evt_10"};
  read = Settled([&] { return events_.After("proj_a", {}, second.position, 10); }, ninth_and_tenth,
                 Ids);
  ASSERT_EQ(Ids(read), ninth_and_tenth);
  EXPECT_LT(second.position, read[0].position);
  EXPECT_LT(read[0].position, read[1].position);
}

// The newest position is the largest transaction id, not the largest text of one: 100 is
// newer than 99 (streams start from it and the tail moves the bus's floor to it).
TEST_F(PgEventStoreTest, TheNewestPositionIsTheLargestTransactionWhateverItsDigits) {
  db_.Exec(
      "INSERT INTO events (rowid, id, project_id, job_id, type, at, xact) OVERRIDING SYSTEM "
      "VALUE VALUES (1, 'evt_a', 'proj_a', 'job_1', 't', 0, '100'::xid8), "
      "(2, 'evt_b', 'proj_a', 'job_1', 't', 0, '99'::xid8)");
  EventRecord a;
  a.project_id = "proj_a";
  a.id = "evt_a";
  ReadBack(a);
  EXPECT_EQ(events_.NewestPosition(), a.position);
}

TEST_F(PgEventStoreTest, PositionOfAnEventIsFoundOnlyInItsOwnProject) {
  EventRecord one = Append("evt_1", "job_1");
  ResumePoint found = events_.PositionOf("proj_a", "evt_1");
  EXPECT_TRUE(found.found);
  EXPECT_EQ(found.position, one.position);
  EXPECT_FALSE(events_.PositionOf("proj_b", "evt_1").found);
  EXPECT_EQ(events_.PositionOf("proj_b", "evt_1").position, "");
}

TEST_F(PgEventStoreTest, APrunedIdResumesAfterTheNewestRetainedEventBeforeIt) {
  EventRecord kept = Append("evt_1", "job_1");
  Append("evt_2", "job_1");
  Append("evt_3", "job_1");
  db_.Exec("DELETE FROM events WHERE id = 'evt_2'");
  ResumePoint pruned = events_.PositionOf("proj_a", "evt_2");
  WaitUntilEveryEventSettles();
  EXPECT_FALSE(pruned.found);
  EXPECT_EQ(pruned.position, kept.position);
  ExpectAfter({}, pruned.position, 10, V{"evt_3"});
}

// Two sessions write at once: the one that began writing first commits last. Its event must
// not be skipped by a reader that already passed the other one, so neither is readable until
// both are, and then in the writers' order, not the ids' or the commits'.
TEST_F(PgEventStoreTest, AnEventWaitsUntilNoOlderTransactionCanCommitBeforeIt) {
  pg::Connection slow_db(database_.uri());
  CounterDeltas slow_counters;
  PgEventStore slow(Session{slow_db, &slow_counters});
  slow_db.Exec("BEGIN");
  EventRecord late = NewEvent("evt_9", "job_1", "created");
  slow.Append(late);
  slow_db.FlushDeferred();   // sent now: the slow transaction takes its id first
  Append("evt_1", "job_1");  // commits at once, with a younger transaction id

  std::optional<EventTailPage> page = events_.Tail("", 10);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->events.empty());
  EXPECT_TRUE(page->unsettled);
  EXPECT_TRUE(events_.After("proj_a", {}, "", 10).empty());
  EXPECT_EQ(events_.NewestPosition(), "");

  slow_db.Exec("COMMIT");
  WaitUntilEveryEventSettles();
  const V in_writers_order{"evt_9", "evt_1"};
  page = Settled([&] { return events_.Tail("", 10); }, in_writers_order, PageIds);
  ASSERT_TRUE(page);
  ASSERT_EQ(Ids(page->events), in_writers_order);
  EXPECT_FALSE(page->unsettled);
  ExpectAfter({}, "", 10, in_writers_order);
  const std::string newest = page->events.back().position;
  EXPECT_EQ(Settled([&] { return events_.NewestPosition(); }, newest), newest);
  page = events_.Tail(page->events.back().position, 10);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->events.empty());
}

// Transaction ids are the cluster's, yet a transaction of another database can never write
// an event here: however long it stays open, it must not hold this log's events back.
TEST_F(PgEventStoreTest, AnOpenTransactionOfAnotherDatabaseHoldsNothingBack) {
  pg::Connection elsewhere(database_.cluster_uri());
  elsewhere.Exec("BEGIN");
  elsewhere.Exec("SELECT pg_current_xact_id()");  // it now holds a transaction id
  Append("evt_1", "job_1");

  // Other tests of the cluster commit now and then: wait, bounded, for their transactions,
  // while the one opened above stays open throughout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<EventRecord> read;
  while ((read = events_.After("proj_a", {}, "", 10)).empty() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(Ids(read), (V{"evt_1"}));
  std::optional<EventTailPage> page =
      Settled([&] { return events_.Tail("", 10); }, V{"evt_1"}, PageIds);
  EXPECT_EQ(PageIds(page), (V{"evt_1"}));
  const std::string newest = read.front().position;
  EXPECT_EQ(Settled([&] { return events_.NewestPosition(); }, newest), newest);
  elsewhere.Exec("COMMIT");
}

TEST_F(PgEventStoreTest, TheTailReadsEveryProjectWithEachEventsQueueInPages) {
  InsertJob("job_fast", "fast");
  Append("evt_1", "job_fast");
  Append("evt_2", "job_gone", "created", "proj_b");
  Append("evt_3", "job_fast");
  WaitUntilEveryEventSettles();
  std::optional<EventTailPage> page =
      Settled([&] { return events_.Tail("", 2); }, V{"evt_1", "evt_2"}, PageIds);
  ASSERT_TRUE(page);
  ASSERT_EQ(Ids(page->events), (V{"evt_1", "evt_2"}));
  EXPECT_EQ(page->queues, (V{"fast", ""}));
  const std::string second = page->events.back().position;
  page = Settled([&] { return events_.Tail(second, 2); }, V{"evt_3"}, PageIds);
  ASSERT_TRUE(page);
  EXPECT_EQ(Ids(page->events), (V{"evt_3"}));
  EXPECT_EQ(page->queues, (V{"fast"}));
}

TEST_F(PgEventStoreTest, LastIdIsTheEventAppendedLast) {
  EXPECT_EQ(events_.LastId(), "");
  Append("evt_1", "job_1");
  Append("evt_2", "job_2", "run.created", "proj_b");
  EXPECT_EQ(events_.LastId(), "evt_2");
}

}  // namespace
}  // namespace flare::daemon::postgres::event_store_test
