#include "daemon/store/counter_deltas.h"

#include <SQLiteCpp/VariadicBind.h>

#include "daemon/store/connection.h"
#include "daemon/store/usage_repository.h"

namespace flare::daemon {
namespace {

// A terminal state, or a failed attempt with a retry due.
bool EndsAnAttempt(RunState state) { return IsTerminal(state) || state == RunState::kFailed; }

// Applies `write` to `c` now, or to the open writer group's sums.
template <typename Write>
void Count(Connection& c, Write write) {
  if (CounterDeltas* deferred = c.deferred_counters()) {
    write(*deferred);
    return;
  }
  CounterDeltas now;
  write(now);
  now.KeepOperation();
  now.Flush(c);
}

}  // namespace

void CounterDeltas::RunCreated(const RunRecord& run) {
  QueueDelta& depth = operation_.queues[{run.project_id, run.queue, run.state}];
  ++depth.current;
  ++depth.entered;
  int64_t created_ms = ToMillis(run.created_at);
  ++operation_.minutes[{run.project_id, created_ms / kMsPerMinute}].created;
  ++operation_.days[{run.project_id, created_ms / kMsPerDay}].runs;
}

void CounterDeltas::RunMoved(const RunRecord& run, const std::string& old_queue,
                             RunState old_state) {
  --operation_.queues[{run.project_id, old_queue, old_state}].current;
  QueueDelta& entered = operation_.queues[{run.project_id, run.queue, run.state}];
  ++entered.current;
  ++entered.entered;
  RunState s = run.state;
  if (!EndsAnAttempt(s)) return;
  int64_t at = ToMillis(run.completed_at.value_or(run.created_at));
  MinuteDelta& minute = operation_.minutes[{run.project_id, at / kMsPerMinute}];
  minute.succeeded += s == RunState::kSucceeded;
  minute.failed += s == RunState::kDeadLetter;
  minute.retried += s == RunState::kFailed;
  minute.cancelled += s == RunState::kCancelled;
  if (s != RunState::kSucceeded && s != RunState::kDeadLetter) return;
  DayDelta& day = operation_.days[{run.project_id, at / kMsPerDay}];
  day.succeeded += s == RunState::kSucceeded;
  day.failed += s == RunState::kDeadLetter;
}

void CounterDeltas::JobActivated(const std::string& project_id) {
  ++operation_.active_jobs[project_id];
}

void CounterDeltas::KeepOperation() {
  if (operation_.empty()) return;
  Merge(kept_, operation_);
  operation_ = Sums{};
}

void CounterDeltas::DropOperation() { operation_ = Sums{}; }

void CounterDeltas::Merge(Sums& into, const Sums& from) {
  auto add = [](auto& to, const auto& deltas) {
    for (const auto& [key, delta] : deltas) to[key] += delta;
  };
  add(into.queues, from.queues);
  add(into.minutes, from.minutes);
  add(into.days, from.days);
  add(into.active_jobs, from.active_jobs);
}

// One-row upserts: a statement that may change several rows needs a statement journal,
// whose cost grows with the transaction (a deep chain cancel took 35 s instead of 2).
void CounterDeltas::Flush(Connection& c) {
  if (kept_.empty()) return;
  auto upsert = [](SQLite::Statement& st, const auto&... values) {
    st.reset();
    SQLite::bind(st, values...);
    st.exec();
  };
  auto& queue = c.Prepare(
      "INSERT INTO queue_counts (project_id, queue, state, current, entered) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET current = current + ?4, "
      "entered = entered + ?5");
  for (const auto& [key, d] : kept_.queues) {
    const auto& [project, queue_name, state] = key;
    upsert(queue, project, queue_name, ToString(state).data(), d.current, d.entered);
  }
  auto& minute = c.Prepare(
      "INSERT INTO run_stats_minute (project_id, minute, created, succeeded, failed, retried, "
      "cancelled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET "
      "created = created + excluded.created, succeeded = succeeded + excluded.succeeded, "
      "failed = failed + excluded.failed, retried = retried + excluded.retried, "
      "cancelled = cancelled + excluded.cancelled");
  for (const auto& [key, d] : kept_.minutes) {
    upsert(minute, key.first, key.second, d.created, d.succeeded, d.failed, d.retried, d.cancelled);
  }
  auto& day = c.Prepare(
      "INSERT INTO usage_daily (project_id, day, runs, succeeded, failed) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET runs = runs + excluded.runs, "
      "succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed");
  for (const auto& [key, d] : kept_.days)
    upsert(day, key.first, key.second, d.runs, d.succeeded, d.failed);
  auto& active = c.Prepare(
      "INSERT INTO project_counts (project_id, active_jobs) VALUES (?1, ?2) "
      "ON CONFLICT DO UPDATE SET active_jobs = active_jobs + excluded.active_jobs");
  for (const auto& [project, n] : kept_.active_jobs) upsert(active, project, n);
  kept_ = Sums{};
}

void CountRunCreated(Connection& c, const RunRecord& run) {
  Count(c, [&](CounterDeltas& d) { d.RunCreated(run); });
}

void CountRunMoved(Connection& c, const RunRecord& run, const std::string& old_queue,
                   RunState old_state) {
  Count(c, [&](CounterDeltas& d) { d.RunMoved(run, old_queue, old_state); });
}

void CountJobActivated(Connection& c, const std::string& project_id) {
  Count(c, [&](CounterDeltas& d) { d.JobActivated(project_id); });
}

}  // namespace flare::daemon
