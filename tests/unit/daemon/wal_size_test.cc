// The WAL stays bounded: every statement on the writer's connection and on reader
// connections is reset when its operation ends, so no read transaction stays open across
// commits and the writer's checkpoint can restart the WAL, even while reads overlap.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/job_repository.h"
#include "tests/testutil/build_flavour.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

class WalSizeTest : public ServiceTest {
 protected:
  std::uintmax_t WalBytes() {
    std::error_code ec;
    auto size = std::filesystem::file_size(dir_ / "flare.db-wal", ec);
    return ec ? 0 : size;
  }

  std::uintmax_t PageSize() {
    auto page_size = writer_.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
      return tx.conn().db().execAndGet("PRAGMA page_size").getInt64();
    });
    return static_cast<std::uintmax_t>(page_size.value());
  }

  // Twice what the writer lets the WAL reach before its checkpoint restarts it.
  std::uintmax_t WalBound() { return 2 * WalCheckpointer::kCheckpointFrames * PageSize(); }

  void CreateFiller() {
    ASSERT_TRUE(writer_
                    .Run<Ok>([](Tx& tx) -> Status {
                      tx.conn().Exec("CREATE TABLE filler (v BLOB)");
                      return Ok{};
                    })
                    .ok());
  }

  // One commit of 100 rows of 1 KiB.
  void WriteHundredKiB() {
    auto wrote = writer_.Run<Ok>([](Tx& tx) -> Status {
      auto& insert = tx.conn().Prepare("INSERT INTO filler (v) VALUES (randomblob(1024))");
      for (int i = 0; i < 100; ++i) {
        insert.exec();
        insert.reset();
      }
      return Ok{};
    });
    ASSERT_TRUE(wrote.ok()) << wrote.error().message;
  }

  // Salt-1 and salt-2 of the WAL's header: SQLite draws new ones each time the WAL starts
  // over from its first frame, whichever checkpoint made that possible.
  std::string WalSalts() {
    std::ifstream wal(dir_ / "flare.db-wal", std::ios::binary);
    std::string salts(8, '\0');
    wal.seekg(16);
    wal.read(salts.data(), static_cast<std::streamsize>(salts.size()));
    return wal ? salts : std::string();
  }

  struct CheckpointCounts {
    uint64_t starved = 0;
    uint64_t restarts = 0;
  };

  // The writer checkpoints after it has answered a commit, so the counters read right after
  // a write may miss that write's checkpoint. Read on the writer thread inside its next
  // operation, they include every checkpoint of the writes before it.
  CheckpointCounts CountsAfterEveryCheckpointSoFar() {
    auto counts = writer_.Run<CheckpointCounts>([this](Tx&) -> Result<CheckpointCounts> {
      return CheckpointCounts{writer_.stats().wal_checkpoints_starved.load(),
                              writer_.stats().wal_restarts.load()};
    });
    return counts.ok() ? *counts : CheckpointCounts{};
  }
};

TEST_F(WalSizeTest, WalStaysBoundedOverTwentyThousandWritesWithLookups) {
  const std::uintmax_t bound = WalBound();
  ASSERT_GT(bound, 0u);
  // Each with a lookup: 20,000 writes, 60 times the WAL's auto-checkpoint size (a quarter of
  // that under a sanitizer).
  constexpr int kCreates = flare::testing::ScaleForBuild(10'000);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  std::string first_id;
  std::uintmax_t largest = 0;
  for (int i = 0; i < kCreates && std::chrono::steady_clock::now() < give_up; ++i) {
    auto created = jobs_.Create(
        kProject,
        {{"job_type", "t"}, {"slug", "job-" + std::to_string(i)}, {"payload", {{"i", i}}}},
        "key-" + std::to_string(i));
    ASSERT_TRUE(created.ok()) << created.error().message;
    if (first_id.empty()) first_id = created->id;
    // A writer op whose lookup stops after its first row, as FindJob does for every update.
    ASSERT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      if (!FindJob(tx.conn(), kProject, first_id))
                        return InvalidRequest("lost the first job");
                      return Ok{};
                    })
                    .ok());
    // Readers too: a lease ends with its statements reset.
    if (i % 100 == 0) {
      ASSERT_TRUE(jobs_.Get(kProject, first_id).ok());
    }
    if (i % 500 == 0) {
      largest = std::max(largest, WalBytes());
      ASSERT_LE(largest, bound) << "the WAL grew to " << largest << " bytes after " << i
                                << " creates (bound " << bound << ")";
    }
  }
  largest = std::max(largest, WalBytes());
  EXPECT_LE(largest, bound) << "the WAL grew to " << largest << " bytes";
}

TEST_F(WalSizeTest, WalStaysBoundedWhileShortReadsOverlapWithoutPause) {
  // Four readers with no pause between reads: at any moment one of them holds a snapshot
  // older than the last commit, so a passive checkpoint never copies every frame and the
  // WAL never starts over (measured: 279 MiB in 15 s). The writer's RESTART checkpoint waits
  // them out. About 4x (a sanitizer: 2x) the WAL's checkpoint size is written.
  //
  // Each read is 20 rows of 1 KiB: short. With 200 rows and three copies of this test on
  // two cores, reads took 30-90 ms of wall time, longer than the checkpoint's reader wait,
  // and that is the long-reader case of the next test, not this one.
  const std::uintmax_t bound = WalBound();
  CreateFiller();
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (writing) {
        auto reader = readers_.Borrow();
        (*reader).db().execAndGet(
            "SELECT count(*) FROM (SELECT v FROM filler ORDER BY rowid DESC LIMIT 20)");
        ++reads;
      }
    });
  }
  const int groups = flare::testing::kSanitizedBuild ? 320 : 640;  // 100 rows of 1 KiB each
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  std::uintmax_t largest = 0;
  for (int g = 0; g < groups && std::chrono::steady_clock::now() < give_up; ++g) {
    ASSERT_NO_FATAL_FAILURE(WriteHundredKiB());
    largest = std::max(largest, WalBytes());
  }
  writing = false;
  for (auto& reader : readers) reader.join();
  EXPECT_GT(reads.load(), 100) << "the reads overlapped the writes";
  EXPECT_GT(writer_.stats().wal_restarts.load(), 0u);
  // Every checkpoint the writer ran is timed (also the PASSIVE ones between retries).
  const uint64_t timed = writer_.stats().checkpoint_seconds.Cumulative().back();
  EXPECT_GE(timed,
            writer_.stats().wal_restarts.load() + writer_.stats().wal_checkpoints_starved.load());
  EXPECT_GT(writer_.stats().checkpoint_seconds.sum(), 0.0);
  EXPECT_LE(largest, bound) << "the WAL grew to " << largest << " bytes (bound " << bound
                            << "); restarts " << writer_.stats().wal_restarts.load() << ", starved "
                            << writer_.stats().wal_checkpoints_starved.load();
}

TEST_F(WalSizeTest, AWalPastHalfItsBoundStartsOverAtTheWritersFirstQuietMoment) {
  // A RESTART checkpoint stalls the writer for milliseconds. From kQuietCheckpointFrames on
  // it is taken once nothing has been queued for kQuietWait, so writes that come in bursts
  // (a second's fires) find it done between them, not in their midst.
  ASSERT_NO_FATAL_FAILURE(CreateFiller());
  const std::uintmax_t early = WalCheckpointer::kQuietCheckpointFrames * PageSize();
  const std::uintmax_t full = WalCheckpointer::kCheckpointFrames * PageSize();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (WalBytes() < early + 200 * 1024 && std::chrono::steady_clock::now() < give_up) {
    ASSERT_NO_FATAL_FAILURE(WriteHundredKiB());
  }
  std::this_thread::sleep_for(10 * WalCheckpointer::kQuietWait);  // a quiet moment
  // Restarted early (possibly already during the loop, at a pause of this thread), and so
  // the WAL file never grew to the size that forces a checkpoint.
  EXPECT_GE(CountsAfterEveryCheckpointSoFar().restarts, 1u);
  EXPECT_LT(WalBytes(), full);
}

TEST_F(WalSizeTest, AReaderThatHoldsItsSnapshotCostsTheWriterFewCheckpointWaits) {
  // A reader keeps one snapshot while three checkpoints' worth of WAL is written. No RESTART
  // can succeed meanwhile, and each attempt costs the writer up to kReaderWait. They are
  // retried once per kRetryAfter, or after the WAL grew by a quarter, a half, one, two...
  // checkpoint sizes since the last that failed: from 16 MiB to 48 MiB, at most 3 of those.
  ASSERT_NO_FATAL_FAILURE(CreateFiller());
  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  std::thread holder([&] {
    auto reader = readers_.Borrow();
    (*reader).db().exec("BEGIN");
    (*reader).db().execAndGet("SELECT count(*) FROM filler");
    holding = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    (*reader).db().exec("COMMIT");
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string salts_held = WalSalts();
  ASSERT_FALSE(salts_held.empty());
  const auto started = std::chrono::steady_clock::now();
  const int groups = static_cast<int>(3 * (WalBound() / 2) / (100 * 1024));
  const auto give_up = started + std::chrono::minutes(2);
  for (int g = 0; g < groups && std::chrono::steady_clock::now() < give_up; ++g) {
    ASSERT_NO_FATAL_FAILURE(WriteHundredKiB());
  }
  // Counted while the reader still holds its snapshot: once it lets go, the checkpoint that
  // follows the last write may start the WAL over (seen on a loaded machine).
  const CheckpointCounts held = CountsAfterEveryCheckpointSoFar();
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  release = true;
  holder.join();
  EXPECT_GE(held.starved, 1u) << "the held snapshot kept the WAL from starting over";
  EXPECT_LE(held.starved, static_cast<uint64_t>(seconds) + 1 + 3)
      << "RESTART was tried too often while the reader held its snapshot (" << seconds << " s)";
  EXPECT_EQ(held.restarts, 0u);
  EXPECT_EQ(WalSalts(), salts_held) << "the WAL started over under a reader that needed it";

  // Once the reader has let go, the WAL starts over. The writer's RESTART (tried kRetryAfter
  // after the last that failed) lets the next write begin at the first frame. So does a
  // passive checkpoint that copied every frame after the release: then SQLite starts the WAL
  // over by itself at that write, and the writer has no RESTART left to count.
  std::this_thread::sleep_for(WalCheckpointer::kRetryAfter);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    ASSERT_NO_FATAL_FAILURE(WriteHundredKiB());
    if (WalSalts() != salts_held) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_NE(WalSalts(), salts_held) << "the WAL did not start over once the reader let go";
  EXPECT_LE(writer_.stats().wal_restarts.load(), 1u);
}

}  // namespace
}  // namespace flare::daemon
