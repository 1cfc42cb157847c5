// The PostgreSQL WebhookStore against a real database: every field of an endpoint and of a
// delivery comes back as written, lists page as the SQLite store pages, and the delivery
// queue (due order, per-endpoint cap, leases, lost nodes) behaves as its contract in
// store/webhook_store.h says, including across two sessions claiming at once.

#include "daemon/store/postgres/webhook_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/counter_deltas.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::webhook_store_test {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = FromMillis(1'700'000'000'123);

// Bytes a sealed box may hold: NUL, high bytes, and a byte that looks like a quote.
const std::string kSecret = std::string("whsec\0\x01\xff\x80'\"\\", 12);
const std::string kPreviousSecret = std::string("\0\0\xfe", 3);

WebhookRecord Webhook(const std::string& id, const std::string& project_id = "p1",
                      TimePoint created_at = kNow) {
  WebhookRecord w;
  w.id = id;
  w.project_id = project_id;
  w.url = "https://example.test/hook/" + id;
  w.events = {"run.succeeded", "run.failed"};
  w.secret_box = kSecret;
  w.created_at = created_at;
  w.updated_at = created_at;
  return w;
}

DeliveryRecord Delivery(const std::string& id, const std::string& webhook_id,
                        OptTime next_attempt_at, TimePoint created_at = kNow) {
  DeliveryRecord d;
  d.id = id;
  d.webhook_id = webhook_id;
  d.project_id = "p1";
  d.event_type = "run.succeeded";
  d.payload = R"({"id":")" + id + R"("})";
  d.next_attempt_at = next_attempt_at;
  d.created_at = created_at;
  return d;
}

std::vector<std::string> Ids(const auto& records) {
  std::vector<std::string> ids;
  for (const auto& record : records) ids.push_back(record.id);
  return ids;
}

class PgWebhookStoreTest : public ::testing::Test {
 protected:
  PgWebhookStoreTest() { pg::Migrate(connection_, pg::FlareSchema()); }

  // A delivery leased by `node` until `expires` (as the delivery engine claims one).
  void InsertLeased(const std::string& id, const std::string& node, TimePoint expires) {
    DeliveryRecord d = Delivery(id, "w1", expires);
    d.lease_id = "lease-" + id;
    d.lease_expires_at = expires;
    d.node_id = node;
    store_.InsertDelivery(d);
  }
  void InsertNode(const std::string& id, TimePoint last_seen, OptTime stopped = std::nullopt) {
    connection_.Exec(
        "INSERT INTO nodes (id, started_at, last_seen_at, stopped_at) VALUES ($1, $2, $2, $3)", id,
        ToMillis(last_seen), stopped ? std::optional<int64_t>(ToMillis(*stopped)) : std::nullopt);
  }

  pg::testing::TestDatabase database_;
  pg::Connection connection_{database_.uri()};
  CounterDeltas counters_;
  PgWebhookStore store_{Session{connection_, &counters_}};
};

TEST_F(PgWebhookStoreTest, AnEndpointComesBackWithEveryFieldAsWritten) {
  WebhookRecord w = Webhook("w1");
  w.description = "billing";
  w.enabled = false;
  w.disabled_reason = "too many failures";
  w.previous_secret_box = kPreviousSecret;
  w.previous_secret_expires_at = kNow + 1h;
  w.updated_at = kNow + 5ms;
  store_.Insert(w);

  auto found = store_.Find("p1", "w1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "w1");
  EXPECT_EQ(found->project_id, "p1");
  EXPECT_EQ(found->url, w.url);
  EXPECT_EQ(found->events, w.events);
  EXPECT_EQ(found->description, "billing");
  EXPECT_FALSE(found->enabled);
  EXPECT_EQ(found->disabled_reason, "too many failures");
  EXPECT_EQ(found->secret_box, kSecret);
  EXPECT_EQ(found->previous_secret_box, kPreviousSecret);
  EXPECT_EQ(found->previous_secret_expires_at, kNow + 1h);
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(found->updated_at, kNow + 5ms);
}

TEST_F(PgWebhookStoreTest, EmptyOptionalFieldsAreStoredAsNullAndReadBackEmpty) {
  store_.Insert(Webhook("w1"));
  auto found = store_.Find("p1", "w1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->description, "");
  EXPECT_EQ(found->disabled_reason, "");
  EXPECT_EQ(found->previous_secret_box, "");
  EXPECT_FALSE(found->previous_secret_expires_at);
  pg::PgResult r = connection_.Exec(
      "SELECT description IS NULL, disabled_reason IS NULL, previous_secret IS NULL "
      "FROM webhooks WHERE id = 'w1'");
  EXPECT_TRUE(r.Bool(0, 0));
  EXPECT_TRUE(r.Bool(0, 1));
  EXPECT_TRUE(r.Bool(0, 2));
}

TEST_F(PgWebhookStoreTest, SaveWritesEveryMutableColumn) {
  WebhookRecord w = Webhook("w1");
  w.previous_secret_box = kPreviousSecret;
  w.previous_secret_expires_at = kNow + 1h;
  store_.Insert(w);

  w.url = "https://example.test/moved";
  w.events = {"*"};
  w.description = "renamed";
  w.enabled = false;
  w.disabled_reason = "disabled by hand";
  w.secret_box = std::string("\x7f\0new", 5);
  w.previous_secret_box.clear();  // the rotation's overlap ended
  w.previous_secret_expires_at.reset();
  w.updated_at = kNow + 2s;
  store_.Save(w);

  auto found = store_.Find("p1", "w1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->url, "https://example.test/moved");
  EXPECT_EQ(found->events, std::vector<std::string>{"*"});
  EXPECT_EQ(found->description, "renamed");
  EXPECT_FALSE(found->enabled);
  EXPECT_EQ(found->disabled_reason, "disabled by hand");
  EXPECT_EQ(found->secret_box, std::string("\x7f\0new", 5));
  EXPECT_EQ(found->previous_secret_box, "");
  EXPECT_FALSE(found->previous_secret_expires_at);
  EXPECT_EQ(found->updated_at, kNow + 2s);
}

TEST_F(PgWebhookStoreTest, FindOnlyFindsAnEndpointInItsOwnProject) {
  store_.Insert(Webhook("w1", "p1"));
  EXPECT_TRUE(store_.Find("p1", "w1"));
  EXPECT_FALSE(store_.Find("p2", "w1"));
  EXPECT_FALSE(store_.Find("p1", "nope"));
}

TEST_F(PgWebhookStoreTest, OfProjectReturnsEveryEndpointOfThatProjectOnly) {
  store_.Insert(Webhook("a", "p1"));
  store_.Insert(Webhook("b", "p1"));
  store_.Insert(Webhook("c", "p2"));
  std::vector<std::string> ids = Ids(store_.OfProject("p1"));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
}

TEST_F(PgWebhookStoreTest, ListPagesNewestFirstStrictlyAfterTheCursor) {
  store_.Insert(Webhook("a", "p1", kNow));
  store_.Insert(Webhook("b", "p1", kNow + 1s));
  store_.Insert(Webhook("c", "p1", kNow + 1s));  // same time as b: the id breaks the tie
  store_.Insert(Webhook("d", "p1", kNow + 2s));
  store_.Insert(Webhook("x", "p2", kNow + 3s));

  auto first = store_.List("p1", std::nullopt, 2);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"d", "c"}));
  PageCursor after{ToMillis(first.back().created_at), first.back().id};
  EXPECT_EQ(Ids(store_.List("p1", after, 2)), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(store_.List("p1", PageCursor{ToMillis(kNow), "a"}, 2).empty());
}

TEST_F(PgWebhookStoreTest, DeleteRemovesTheEndpointAndItsDeliveriesOnly) {
  store_.Insert(Webhook("w1"));
  store_.Insert(Webhook("w2"));
  store_.InsertDelivery(Delivery("d1", "w1", kNow));
  store_.InsertDelivery(Delivery("d2", "w2", kNow));
  store_.Delete("w1");
  EXPECT_FALSE(store_.Find("p1", "w1"));
  EXPECT_FALSE(store_.FindDelivery("d1"));
  EXPECT_TRUE(store_.Find("p1", "w2"));
  EXPECT_TRUE(store_.FindDelivery("d2"));
}

TEST_F(PgWebhookStoreTest, ADeliveryComesBackWithEveryFieldAsWritten) {
  DeliveryRecord d = Delivery("d1", "w1", kNow + 3s, kNow);
  d.payload = "{\"quote\":\"'\\\"\",\"unicode\":\"\u00e9\"}";
  d.status = "pending";
  d.attempts = 2;
  d.lease_id = "lease";
  d.lease_expires_at = kNow + 3s;
  d.node_id = "node-a";
  d.last_response_code = 503;
  d.last_latency_ms = 1234;
  d.last_error = "service unavailable";
  d.completed_at = kNow + 9ms;
  store_.InsertDelivery(d);

  auto found = store_.FindDelivery("d1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "d1");
  EXPECT_EQ(found->webhook_id, "w1");
  EXPECT_EQ(found->project_id, "p1");
  EXPECT_EQ(found->event_type, "run.succeeded");
  EXPECT_EQ(found->payload, d.payload);
  EXPECT_EQ(found->status, "pending");
  EXPECT_EQ(found->attempts, 2);
  EXPECT_EQ(found->next_attempt_at, kNow + 3s);
  EXPECT_EQ(found->lease_id, "lease");
  EXPECT_EQ(found->lease_expires_at, kNow + 3s);
  EXPECT_EQ(found->node_id, "node-a");
  EXPECT_EQ(found->last_response_code, 503);
  EXPECT_EQ(found->last_latency_ms, 1234);
  EXPECT_EQ(found->last_error, "service unavailable");
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(found->completed_at, kNow + 9ms);
  EXPECT_FALSE(store_.FindDelivery("nope"));
}

TEST_F(PgWebhookStoreTest, SaveDeliveryWritesTheOutcomeAndClearsWhatIsEmpty) {
  DeliveryRecord d = Delivery("d1", "w1", kNow);
  d.lease_id = "lease";
  d.lease_expires_at = kNow + 30s;
  d.node_id = "node-a";
  store_.InsertDelivery(d);

  // The attempt failed: a retry is scheduled and the lease given up.
  d.attempts = 1;
  d.lease_id.clear();
  d.lease_expires_at.reset();
  d.node_id.clear();
  d.next_attempt_at = kNow + 10s;
  d.last_response_code = 500;
  d.last_latency_ms = 42;
  d.last_error = "HTTP 500";
  store_.SaveDelivery(d);

  auto found = store_.FindDelivery("d1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, "pending");
  EXPECT_EQ(found->attempts, 1);
  EXPECT_EQ(found->next_attempt_at, kNow + 10s);
  EXPECT_EQ(found->lease_id, "");
  EXPECT_FALSE(found->lease_expires_at);
  EXPECT_EQ(found->node_id, "");
  EXPECT_EQ(found->last_response_code, 500);
  EXPECT_EQ(found->last_latency_ms, 42);
  EXPECT_EQ(found->last_error, "HTTP 500");
  EXPECT_FALSE(found->completed_at);

  // The next attempt succeeded.
  d.status = "succeeded";
  d.attempts = 2;
  d.next_attempt_at.reset();
  d.last_response_code = 204;
  d.last_error.clear();
  d.completed_at = kNow + 11s;
  store_.SaveDelivery(d);
  found = store_.FindDelivery("d1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, "succeeded");
  EXPECT_FALSE(found->next_attempt_at);
  EXPECT_EQ(found->last_response_code, 204);
  EXPECT_EQ(found->last_error, "");
  EXPECT_EQ(found->completed_at, kNow + 11s);
}

TEST_F(PgWebhookStoreTest, ListDeliveriesPagesAnEndpointsDeliveriesNewestFirst) {
  store_.InsertDelivery(Delivery("a", "w1", kNow, kNow));
  store_.InsertDelivery(Delivery("b", "w1", kNow, kNow + 1s));
  store_.InsertDelivery(Delivery("c", "w1", kNow, kNow + 1s));
  store_.InsertDelivery(Delivery("z", "w2", kNow, kNow + 5s));

  auto first = store_.ListDeliveries("w1", std::nullopt, 2);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"c", "b"}));
  PageCursor after{ToMillis(first.back().created_at), first.back().id};
  EXPECT_EQ(Ids(store_.ListDeliveries("w1", after, 2)), std::vector<std::string>{"a"});
}

TEST_F(PgWebhookStoreTest, DueDeliveriesAreOldestDueFirstWithinBothLimits) {
  store_.Insert(Webhook("w1"));
  store_.Insert(Webhook("w2"));
  store_.InsertDelivery(Delivery("w1-late", "w1", kNow - 1s));
  store_.InsertDelivery(Delivery("w1-early", "w1", kNow - 5s));
  store_.InsertDelivery(Delivery("w1-third", "w1", kNow - 3s));  // over w1's cap of 2
  store_.InsertDelivery(Delivery("w2-mid", "w2", kNow - 2s));
  store_.InsertDelivery(Delivery("w2-now", "w2", kNow));  // due exactly now
  store_.InsertDelivery(Delivery("w2-future", "w2", kNow + 1ms));

  EXPECT_EQ(Ids(store_.DueDeliveries(kNow, 2, 10, {})),
            (std::vector<std::string>{"w1-early", "w1-third", "w2-mid", "w2-now"}));
  EXPECT_EQ(Ids(store_.DueDeliveries(kNow, 2, 3, {})),
            (std::vector<std::string>{"w1-early", "w1-third", "w2-mid"}));
  EXPECT_EQ(Ids(store_.DueDeliveries(kNow, 5, 10, {"w1"})),
            (std::vector<std::string>{"w2-mid", "w2-now"}));
}

TEST_F(PgWebhookStoreTest, DueDeliveriesSkipDisabledEndpointsAndFinishedDeliveries) {
  WebhookRecord off = Webhook("off");
  off.enabled = false;
  store_.Insert(off);
  store_.Insert(Webhook("on"));
  store_.InsertDelivery(Delivery("of-disabled", "off", kNow - 1s));
  store_.InsertDelivery(Delivery("of-nobody", "gone", kNow - 1s));  // endpoint deleted
  DeliveryRecord done = Delivery("done", "on", kNow - 1s);
  done.status = "succeeded";
  store_.InsertDelivery(done);
  DeliveryRecord failed = Delivery("failed", "on", kNow - 1s);
  failed.status = "failed";
  store_.InsertDelivery(failed);
  store_.InsertDelivery(Delivery("due", "on", kNow - 1s));

  EXPECT_EQ(Ids(store_.DueDeliveries(kNow, 5, 10, {})), std::vector<std::string>{"due"});
}

TEST_F(PgWebhookStoreTest, AClaimedDeliveryIsDueAgainOnlyOnceItsLeaseLapses) {
  store_.Insert(Webhook("w1"));
  InsertLeased("d1", "node-a", kNow + 30s);  // next_attempt_at pushed to the lease expiry
  EXPECT_TRUE(store_.DueDeliveries(kNow, 5, 10, {}).empty());
  EXPECT_EQ(Ids(store_.DueDeliveries(kNow + 30s, 5, 10, {})), std::vector<std::string>{"d1"});
}

TEST_F(PgWebhookStoreTest, ARetryIsDueAtItsScheduledTime) {
  store_.Insert(Webhook("w1"));
  DeliveryRecord d = Delivery("d1", "w1", kNow);
  store_.InsertDelivery(d);
  d.attempts = 1;
  d.next_attempt_at = kNow + 8s;
  d.last_error = "timeout";
  store_.SaveDelivery(d);
  EXPECT_TRUE(store_.DueDeliveries(kNow + 7999ms, 5, 10, {}).empty());
  EXPECT_EQ(store_.EarliestDeliveryDue({}), kNow + 8s);
  auto due = store_.DueDeliveries(kNow + 8s, 5, 10, {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].attempts, 1);
}

TEST_F(PgWebhookStoreTest, EarliestDeliveryDueLooksAtPendingDeliveriesOfEnabledEndpoints) {
  EXPECT_FALSE(store_.EarliestDeliveryDue({}));
  WebhookRecord off = Webhook("off");
  off.enabled = false;
  store_.Insert(off);
  store_.Insert(Webhook("a"));
  store_.Insert(Webhook("b"));
  store_.InsertDelivery(Delivery("disabled", "off", kNow - 9s));
  DeliveryRecord done = Delivery("done", "a", kNow - 8s);
  done.status = "succeeded";
  store_.InsertDelivery(done);
  store_.InsertDelivery(Delivery("a1", "a", kNow + 5s));
  store_.InsertDelivery(Delivery("a2", "a", kNow + 2s));
  store_.InsertDelivery(Delivery("b1", "b", kNow + 3s));

  EXPECT_EQ(store_.EarliestDeliveryDue({}), kNow + 2s);
  EXPECT_EQ(store_.EarliestDeliveryDue({"a"}), kNow + 3s);
  EXPECT_FALSE(store_.EarliestDeliveryDue({"a", "b"}));
}

TEST_F(PgWebhookStoreTest, ExcludedIdsAreValuesNeverSql) {
  store_.Insert(Webhook("w\"1\\,}"));
  store_.Insert(Webhook("w2"));
  store_.InsertDelivery(Delivery("d1", "w\"1\\,}", kNow));
  store_.InsertDelivery(Delivery("d2", "w2", kNow));
  EXPECT_EQ(Ids(store_.DueDeliveries(kNow, 5, 10, {"w\"1\\,}", "x'); DROP TABLE webhooks; --"})),
            std::vector<std::string>{"d2"});
  EXPECT_EQ(store_.EarliestDeliveryDue({"w2"}), kNow);
}

TEST_F(PgWebhookStoreTest, LeasesOfLostNodesAreReleasedAndOthersKept) {
  store_.Insert(Webhook("w1"));
  const TimePoint alive_since = kNow - 30s;
  InsertNode("self", kNow - 1h);  // never lost to itself, however long silent
  InsertNode("alive", kNow - 1s);
  InsertNode("silent", kNow - 31s);
  InsertNode("stopped", kNow - 1s, kNow - 1s);
  for (const char* node : {"self", "alive", "silent", "stopped", "unknown"}) {
    InsertLeased(std::string("by-") + node, node, kNow + 20s);
  }
  InsertLeased("by-none", "", kNow + 20s);
  DeliveryRecord finished = Delivery("finished", "w1", std::nullopt);
  finished.status = "succeeded";
  finished.lease_id = "old";
  finished.node_id = "silent";
  store_.InsertDelivery(finished);

  EXPECT_EQ(store_.ReleaseLostNodesDeliveryLeases("self", alive_since, kNow), 4);

  for (const char* id : {"by-silent", "by-stopped", "by-unknown", "by-none"}) {
    auto d = store_.FindDelivery(id);
    ASSERT_TRUE(d) << id;
    EXPECT_EQ(d->lease_id, "") << id;
    EXPECT_FALSE(d->lease_expires_at) << id;
    EXPECT_EQ(d->next_attempt_at, kNow) << id;
  }
  for (const char* id : {"by-self", "by-alive"}) {
    auto d = store_.FindDelivery(id);
    ASSERT_TRUE(d) << id;
    EXPECT_EQ(d->lease_id, std::string("lease-") + id) << id;
    EXPECT_EQ(d->next_attempt_at, kNow + 20s) << id;
  }
  EXPECT_EQ(store_.FindDelivery("finished")->lease_id, "old");
  EXPECT_EQ(Ids(store_.DueDeliveries(kNow, 10, 10, {})).size(), 4u);
}

TEST_F(PgWebhookStoreTest, FailPendingDeliveriesEndsTheEndpointsPendingOnes) {
  InsertLeased("leased", "node-a", kNow + 20s);
  store_.InsertDelivery(Delivery("pending", "w1", kNow));
  DeliveryRecord done = Delivery("done", "w1", std::nullopt);
  done.status = "succeeded";
  store_.InsertDelivery(done);
  store_.InsertDelivery(Delivery("other", "w2", kNow));

  EXPECT_EQ(store_.FailPendingDeliveries("w1", "the webhook was disabled", kNow + 1s), 2);
  for (const char* id : {"leased", "pending"}) {
    auto d = store_.FindDelivery(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, "failed");
    EXPECT_FALSE(d->next_attempt_at);
    EXPECT_EQ(d->lease_id, "");
    EXPECT_FALSE(d->lease_expires_at);
    EXPECT_EQ(d->last_error, "the webhook was disabled");
    EXPECT_EQ(d->completed_at, kNow + 1s);
  }
  EXPECT_EQ(store_.FindDelivery("done")->status, "succeeded");
  EXPECT_EQ(store_.FindDelivery("other")->status, "pending");
}

// Two flared nodes claiming at the same moment, each in its open write transaction: rows
// the first holds are skipped by the second, which takes the next due ones instead.
TEST_F(PgWebhookStoreTest, TwoTransactionsClaimingAtOnceGetDisjointDeliveries) {
  store_.Insert(Webhook("w1"));
  for (int i = 0; i < 10; ++i) {
    store_.InsertDelivery(Delivery("d" + std::to_string(i), "w1", kNow - std::chrono::seconds(i)));
  }
  connection_.FlushDeferred();  // the inserts go with a session's next statement: send them
  pg::Connection first_db(database_.uri()), second_db(database_.uri());
  CounterDeltas first_counters, second_counters;
  PgWebhookStore first(Session{first_db, &first_counters});
  PgWebhookStore second(Session{second_db, &second_counters});

  pg::Transaction first_claim(first_db);
  std::vector<std::string> first_ids = Ids(first.DueDeliveries(kNow, 10, 5, {}));
  pg::Transaction second_claim(second_db);
  second_db.Exec("SET LOCAL lock_timeout = '1s'");  // a wait would be a bug: bound it
  std::vector<std::string> second_ids = Ids(second.DueDeliveries(kNow, 10, 5, {}));

  ASSERT_EQ(first_ids.size(), 5u);
  ASSERT_EQ(second_ids.size(), 5u);
  std::set<std::string> all(first_ids.begin(), first_ids.end());
  all.insert(second_ids.begin(), second_ids.end());
  EXPECT_EQ(all.size(), 10u) << "a delivery was claimed by both";
  // The first took the five oldest due.
  EXPECT_EQ(first_ids, (std::vector<std::string>{"d9", "d8", "d7", "d6", "d5"}));
}

TEST_F(PgWebhookStoreTest, ReleasingLeasesSkipsADeliveryAnotherTransactionHolds) {
  store_.Insert(Webhook("w1"));
  InsertLeased("held", "lost-node", kNow + 20s);
  InsertLeased("free", "lost-node", kNow + 20s);
  connection_.FlushDeferred();
  pg::Connection other_db(database_.uri());
  pg::Transaction holding(other_db);
  other_db.Exec("SELECT 1 FROM webhook_deliveries WHERE id = 'held' FOR UPDATE");

  connection_.Exec("SET lock_timeout = '1s'");
  EXPECT_EQ(store_.ReleaseLostNodesDeliveryLeases("self", kNow - 30s, kNow), 1);
  EXPECT_EQ(store_.FindDelivery("free")->lease_id, "");
}

TEST_F(PgWebhookStoreTest, FindInAWriteTransactionLocksTheRowAndAReadLeaseDoesNot) {
  store_.Insert(Webhook("w1"));
  store_.InsertDelivery(Delivery("d1", "w1", kNow));
  connection_.FlushDeferred();
  pg::Transaction writing(connection_);
  ASSERT_TRUE(store_.Find("p1", "w1"));
  ASSERT_TRUE(store_.FindDelivery("d1"));

  pg::Connection other_db(database_.uri());
  PgWebhookStore reader(Session{other_db, nullptr});
  EXPECT_TRUE(reader.Find("p1", "w1"));  // a read lease never waits on a writer's lock
  EXPECT_TRUE(reader.FindDelivery("d1"));

  CounterDeltas other_counters;
  PgWebhookStore other_writer(Session{other_db, &other_counters});
  pg::Transaction other(other_db);
  other_db.Exec("SET LOCAL lock_timeout = '200ms'");
  try {
    other_writer.FindDelivery("d1");
    ADD_FAILURE() << "the second writer read a row the first one holds";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.sqlstate(), "55P03");  // lock_not_available: it waited for the first
  }
}

}  // namespace
}  // namespace flare::daemon::postgres::webhook_store_test
