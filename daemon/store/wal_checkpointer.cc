#include "daemon/store/wal_checkpointer.h"

#include <sqlite3.h>

#include "daemon/log.h"

namespace flare::daemon {

WalCheckpointer::WalCheckpointer(Connection& connection, WriterStats& stats)
    : connection_(connection), stats_(stats) {
  // SQLite's automatic checkpoint is itself a WAL hook: this one replaces it.
  sqlite3_wal_hook(connection_.db().getHandle(), &WalCheckpointer::OnCommit, this);
}

int WalCheckpointer::OnCommit(void* self, sqlite3*, const char*, int frames) {
  static_cast<WalCheckpointer*>(self)->frames_ = frames;
  return SQLITE_OK;
}

void WalCheckpointer::AfterCommit(bool writer_quiet) {
  if (frames_ < (writer_quiet ? kQuietCheckpointFrames : kCheckpointFrames)) return;
  const auto started = std::chrono::steady_clock::now();
  Checkpoint(started);
  stats_.checkpoint_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void WalCheckpointer::Checkpoint(std::chrono::steady_clock::time_point now) {
  sqlite3* db = connection_.db().getHandle();
  const bool restart = now >= next_restart_ || frames_ >= next_restart_frames_;
  if (restart) sqlite3_busy_timeout(db, static_cast<int>(kReaderWait.count()));
  int rc = sqlite3_wal_checkpoint_v2(
      db, nullptr, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, nullptr,
      nullptr);
  if (!restart) return;
  sqlite3_busy_timeout(db, Connection::kBusyTimeoutMs);
  if (rc == SQLITE_OK) {
    frames_ = 0;
    next_restart_frames_ = 0;
    growth_before_retry_ = kFirstGrowthBeforeRetry;
    stats_.wal_restarts.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (rc != SQLITE_BUSY) {
    LogWarn("WAL checkpoint failed", {{"error", sqlite3_errstr(rc)}, {"frames", frames_}});
  }
  AfterStarvedRestart(now);
}

void WalCheckpointer::AfterStarvedRestart(std::chrono::steady_clock::time_point now) {
  // Readers outlasted the wait (SQLITE_BUSY): what could be copied was; try again later.
  stats_.wal_checkpoints_starved.fetch_add(1, std::memory_order_relaxed);
  next_restart_ = now + kRetryAfter;
  next_restart_frames_ = frames_ + growth_before_retry_;
  if (growth_before_retry_ < kMaxGrowthBeforeRetry) growth_before_retry_ *= 2;
}

}  // namespace flare::daemon
