// The event bus wakes a waiting stream after each commit, and a publication nobody waited
// for is seen at once by the next wait: nothing is missed whether or not a stream sleeps.
// Fed by a tail (PostgreSQL), a commit only signals, and the ring holds what the tail
// publishes, in position order.

#include "daemon/service/event_bus.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "daemon/store/writer.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

class EventBusTest : public ::testing::Test {
 protected:
  // Commits one event of job "job_1" through the writer, as a service would.
  void PublishOne() {
    int n = ++published_;
    ASSERT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      JobRecord job;
                      job.id = "job_1";
                      EventRecord event;
                      event.id = "evt_" + std::to_string(1000000 + n);
                      event.position = event.id;  // as SQLite's Append sets it
                      event.job_id = job.id;
                      event.type = "job.created";
                      bus_.OnEvent(tx, job, nullptr, event);
                      return Ok{};
                    })
                    .ok());
  }
  static SteadyTime In(std::chrono::milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
  }

  testing::TempDir dir_;
  Writer writer_{(dir_ / "bus.db").string(), Durability::kNormal, SystemClock::Instance()};
  EventBus bus_;
  int published_ = 0;
};

TEST_F(EventBusTest, AWaitingStreamIsWokenByTheNextCommit) {
  uint64_t seen = bus_.generation();
  std::atomic<bool> woken{false};
  auto began = std::chrono::steady_clock::now();
  std::thread stream([&] { woken = bus_.WaitPast(seen, In(std::chrono::seconds(10))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let it fall asleep
  PublishOne();
  stream.join();
  EXPECT_TRUE(woken);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  EXPECT_EQ(bus_.Newest(), "evt_1000001");
}

TEST_F(EventBusTest, APublicationNobodyWaitedForIsSeenByTheNextWaitAtOnce) {
  uint64_t seen = bus_.generation();
  PublishOne();  // no stream waits: nobody is woken
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(bus_.WaitPast(seen, In(std::chrono::seconds(10))));
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(1));
  // With nothing new, the wait runs to its deadline and says so.
  EXPECT_FALSE(bus_.WaitPast(bus_.generation(), In(std::chrono::milliseconds(20))));
}

// A stream that reads, then waits, races every publication: each must wake it (one it
// slept through would show as a stream stuck for seconds behind the bus).
TEST_F(EventBusTest, AStreamRacingPublicationsIsWokenByEachOne) {
  constexpr int kEvents = 200;
  std::atomic<uint64_t> observed{0};
  std::atomic<bool> done{false};
  std::thread stream([&] {
    while (!done.load()) {
      uint64_t seen = bus_.generation();
      observed = seen;
      bus_.WaitPast(seen, In(std::chrono::seconds(5)));
    }
  });
  int missed = 0;
  for (int i = 0; i < kEvents; ++i) {
    PublishOne();
    uint64_t target = bus_.generation();
    auto deadline = In(std::chrono::seconds(2));
    while (observed.load() < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (observed.load() < target) ++missed;
  }
  done = true;
  PublishOne();  // wakes the stream so it sees `done`
  stream.join();
  EXPECT_EQ(missed, 0) << "a publication did not wake the waiting stream";
}

std::shared_ptr<const BusEvent> Settled(const std::string& id, const std::string& position) {
  EventRecord event;
  event.id = id;
  event.position = position;
  event.job_id = "job_1";
  return std::make_shared<const BusEvent>(event, "default");
}

TEST_F(EventBusTest, FedByATailACommitSignalsAndOnlyWhatTheTailPublishesIsRead) {
  std::atomic<int> signals{0};
  bus_.FeedFromTail([&] { ++signals; });
  bus_.Start("00.00");
  uint64_t seen = bus_.generation();
  PublishOne();
  EXPECT_EQ(signals.load(), 1);
  EXPECT_EQ(bus_.generation(), seen);  // nothing published by the commit itself
  EXPECT_EQ(bus_.Newest(), "00.00");

  // Positions, not ids, order the ring: evt_9 was settled first.
  bus_.PublishSettled({Settled("evt_9", "01.01"), Settled("evt_1", "01.02")});
  EXPECT_NE(bus_.generation(), seen);
  EXPECT_EQ(bus_.Newest(), "01.02");
  std::vector<std::shared_ptr<const BusEvent>> read;
  std::string floor;
  ASSERT_TRUE(bus_.ReadAfter("00.00", 10, read, floor));
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0]->record().id, "evt_9");
  EXPECT_EQ(read[1]->record().id, "evt_1");
  read.clear();
  ASSERT_TRUE(bus_.ReadAfter("01.01", 10, read, floor));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0]->record().id, "evt_1");
}

TEST_F(EventBusTest, ListenersAreStreamsThatWaitAndWatchersOfAJob) {
  EXPECT_FALSE(bus_.HasListeners());
  {
    EventBus::JobWatch watch(bus_, "job_1");
    EXPECT_TRUE(bus_.HasListeners());
  }
  EXPECT_FALSE(bus_.HasListeners());
  std::thread stream([&] { bus_.WaitPast(bus_.generation(), In(std::chrono::seconds(10))); });
  auto deadline = In(std::chrono::seconds(5));
  while (!bus_.HasListeners() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(bus_.HasListeners());
  bus_.PublishSettled({Settled("evt_1", "01.01")});
  stream.join();
  EXPECT_FALSE(bus_.HasListeners());
}

// With nobody listening the tail moves the floor past what settled instead of reading it:
// a stream behind the new floor is sent to the database, one at or past it reads the ring.
TEST_F(EventBusTest,
       WithNobodyListeningTheTailSkipsToASettledPositionAndStreamsBehindReadTheDatabase) {
  bus_.FeedFromTail([] {});
  bus_.Start("00.00");
  bus_.PublishSettled({Settled("evt_1", "01.01"), Settled("evt_2", "01.02")});
  uint64_t seen = bus_.generation();

  ASSERT_TRUE(bus_.SkipTo("05.07"));
  EXPECT_NE(bus_.generation(), seen) << "a stream about to wait must look again";
  EXPECT_EQ(bus_.Newest(), "05.07");
  std::vector<std::shared_ptr<const BusEvent>> read;
  std::string floor;
  EXPECT_FALSE(bus_.ReadAfter("01.01", 10, read, floor)) << "the ring no longer holds 01.02";
  EXPECT_EQ(floor, "05.07");
  EXPECT_TRUE(read.empty());
  EXPECT_TRUE(bus_.ReadAfter("05.07", 10, read, floor));
  EXPECT_TRUE(read.empty());

  // What the tail publishes next follows the floor.
  bus_.PublishSettled({Settled("evt_3", "05.08")});
  ASSERT_TRUE(bus_.ReadAfter("05.07", 10, read, floor));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0]->record().id, "evt_3");

  // A position the ring already covers is no skip: nothing is forgotten.
  seen = bus_.generation();
  EXPECT_TRUE(bus_.SkipTo("05.08"));
  EXPECT_EQ(bus_.generation(), seen);
  EXPECT_EQ(bus_.Newest(), "05.08");
}

// An open stream, a job watch or a waiting stream needs the events themselves (they wake
// it, or it finds them in the ring): the skip is refused and the ring stays as it was.
TEST_F(EventBusTest, TheSkipIsRefusedWhileSomebodyListens) {
  bus_.FeedFromTail([] {});
  bus_.Start("00.00");
  bus_.PublishSettled({Settled("evt_1", "01.01")});
  {
    EventBus::JobWatch watch(bus_, "job_1");
    EXPECT_FALSE(bus_.SkipTo("09.09"));
  }
  {
    EventBus::OpenStream busy_sending(bus_);  // open, not waiting: still refused
    EXPECT_FALSE(bus_.NobodyFollows());
    EXPECT_FALSE(bus_.SkipTo("09.09"));
  }
  EXPECT_TRUE(bus_.NobodyFollows());
  std::atomic<bool> woken{false};
  std::thread stream(
      [&] { woken = bus_.WaitPast(bus_.generation(), In(std::chrono::seconds(10))); });
  auto deadline = In(std::chrono::seconds(5));
  while (!bus_.HasListeners() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(bus_.SkipTo("09.09"));
  EXPECT_EQ(bus_.Newest(), "01.01");
  bus_.PublishSettled({Settled("evt_2", "09.09")});
  stream.join();
  EXPECT_TRUE(woken.load());
}

}  // namespace
}  // namespace flare::daemon
