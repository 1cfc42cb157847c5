#pragma once
// Keeps the WAL from growing without end under overlapping reads.
//
// SQLite's automatic checkpoint is PASSIVE: it copies back the frames no reader still needs,
// and the WAL starts over from its beginning only once a checkpoint has copied every frame
// and no reader still uses it. Under a steady flow of overlapping reads (polls, lists, export
// pages, the executor) while writes go on, that moment may never come: SQLite's own notes
// call it checkpoint starvation. Measured here with four readers of 2,000-row pages and one
// writer: the WAL reached 279 MiB in 15 s (a 5-minute mixed soak of flared: 164 MiB), and
// every page lookup got slower with it.
//
// This replaces the automatic checkpoint on the writer's connection. A WAL hook notes the
// WAL's length after each commit; once it reaches kCheckpointFrames (or earlier, see the
// end), the writer (after it has answered the group) runs a RESTART checkpoint: it copies
// every frame, waiting at most kReaderWait for the readers of older snapshots to finish
// (new readers then read the database file), so that the next commit writes the WAL from
// its start again. Same experiment: the WAL stayed at 16 MiB, and the writer wrote 1.8x as
// many rows.
//
// When readers outlast the wait, the checkpoint still copies what it can (as PASSIVE would)
// and RESTART is tried again after kRetryAfter, or sooner once the WAL has grown by a quarter
// of a checkpoint's size since the attempt that failed, then by a half, one, two... sizes
// while attempts keep failing. A reader that was only descheduled for a moment on a busy
// machine (seen with three test processes on two cores: the WAL reached 46 MiB in the second
// before the next attempt) then costs a quarter checkpoint of WAL, not a second of writes; a
// reader that holds its snapshot for long costs the writer kReaderWait once per kRetryAfter
// plus a number of times that grows with the logarithm of the WAL's length.
//
// A RESTART checkpoint of 16 MiB holds the writer for 10-30 ms (copying the frames and
// fsyncing the database file; measured under 1,000 `@every 1s` HTTP jobs, bench/RESULTS.md).
// Under such bursty load the WAL filled about once a second and the stall fell inside a
// burst. So the writer checkpoints early, from kQuietCheckpointFrames on, at a quiet moment
// (no new work for kQuietWait). Only a WAL that reaches kCheckpointFrames without such a
// moment is checkpointed at once, as before.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "daemon/store/connection.h"
#include "daemon/store/transactions.h"

namespace flare::daemon {

class WalCheckpointer {
 public:
  static constexpr int kCheckpointFrames = 4000;       // 16 MiB of 4 KiB pages
  static constexpr int kQuietCheckpointFrames = 2000;  // 8 MiB
  static constexpr std::chrono::milliseconds kQuietWait{5};
  static constexpr std::chrono::milliseconds kReaderWait{50};
  static constexpr std::chrono::milliseconds kRetryAfter{1000};
  static constexpr int kFirstGrowthBeforeRetry = kCheckpointFrames / 4;
  static constexpr int kMaxGrowthBeforeRetry = 1 << 22;  // 16 GiB of pages: kRetryAfter rules

  /// Installs the hook on `connection` (the writer's), which must outlive this object, as
  /// must `stats`: it counts RESTART checkpoints that completed and those readers outlasted,
  /// and times every checkpoint.
  WalCheckpointer(Connection& connection, WriterStats& stats);
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  /// True when a quiet moment would be used for a checkpoint: the writer calls
  /// AfterCommit(true) once no write has been run for kQuietWait.
  bool WantsQuietMoment() const { return frames_ >= kQuietCheckpointFrames; }
  /// True when AfterCommit(false) would checkpoint: the WAL reached kCheckpointFrames.
  bool WantsCheckpointNow() const { return frames_ >= kCheckpointFrames; }
  /// On the writer thread, between transactions: checkpoints when the WAL is long enough
  /// (kCheckpointFrames, or kQuietCheckpointFrames when nothing is waiting: `writer_quiet`).
  void AfterCommit(bool writer_quiet);

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int frames);
  void Checkpoint(std::chrono::steady_clock::time_point now);

  void AfterStarvedRestart(std::chrono::steady_clock::time_point now);

  Connection& connection_;
  int frames_ = 0;  // in the WAL after the last commit
  // After a RESTART the readers outlasted: the next is tried at whichever comes first.
  std::chrono::steady_clock::time_point next_restart_{};
  int next_restart_frames_ = 0;
  int growth_before_retry_ = kFirstGrowthBeforeRetry;  // doubles while attempts keep failing
  WriterStats& stats_;
};

}  // namespace flare::daemon
