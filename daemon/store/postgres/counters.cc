#include "daemon/store/postgres/counters.h"

#include <vector>

#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
namespace {

// A bigint[] literal: {1,-2,3}.
std::string IntArray(const std::vector<int64_t>& values) {
  std::string literal = "{";
  for (int64_t value : values) {
    if (literal.size() > 1) literal += ',';
    literal += std::to_string(value);
  }
  return literal + "}";
}

// One statement for every counter row the operation changed: each table's rows come as
// parallel arrays (unnest), and the four upserts are data-modifying CTEs of one statement,
// so a commit costs one round trip for its counters whatever it changed. Rows are written in
// the sums' (sorted) order, so two transactions never lock the same rows in opposite orders.
constexpr const char* kFlushSql =
    "WITH queues AS ("
    " INSERT INTO queue_counts AS q (project_id, queue, state, slot, current, entered)"
    " SELECT p, q, s, flare_counter_slot(), c, e"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS r(p, q, s, c, "
    "e)"
    " ON CONFLICT (project_id, queue, state, slot) DO UPDATE SET"
    " current = q.current + excluded.current, entered = q.entered + excluded.entered),"
    " minutes AS ("
    " INSERT INTO run_stats_minute AS m (project_id, minute, slot, created, succeeded, failed,"
    " retried, cancelled)"
    " SELECT p, t, flare_counter_slot(), a, b, c, d, e FROM unnest($6::text[], $7::bigint[],"
    " $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[]) AS r(p, t, a, b, c,"
    " d, e)"
    " ON CONFLICT (project_id, minute, slot) DO UPDATE SET"
    " created = m.created + excluded.created, succeeded = m.succeeded + excluded.succeeded,"
    " failed = m.failed + excluded.failed, retried = m.retried + excluded.retried,"
    " cancelled = m.cancelled + excluded.cancelled),"
    " days AS ("
    " INSERT INTO usage_daily AS u (project_id, day, slot, runs, succeeded, failed)"
    " SELECT p, t, flare_counter_slot(), a, b, c"
    " FROM unnest($13::text[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[])"
    " AS r(p, t, a, b, c)"
    " ON CONFLICT (project_id, day, slot) DO UPDATE SET runs = u.runs + excluded.runs,"
    " succeeded = u.succeeded + excluded.succeeded, failed = u.failed + excluded.failed)"
    " INSERT INTO project_counts AS pc (project_id, slot, active_jobs)"
    " SELECT p, flare_counter_slot(), n FROM unnest($18::text[], $19::bigint[]) AS r(p, n)"
    " ON CONFLICT (project_id, slot) DO UPDATE SET"
    " active_jobs = pc.active_jobs + excluded.active_jobs";

}  // namespace

void FlushCounters(pg::Connection& db, CounterDeltas& counters) {
  const auto& kept = counters.kept();
  if (kept.empty()) return;
  std::vector<std::string> q_project, q_queue, q_state;
  std::vector<int64_t> q_current, q_entered;
  for (const auto& [key, d] : kept.queues) {
    const auto& [project, queue, state] = key;
    q_project.push_back(project);
    q_queue.push_back(queue);
    q_state.emplace_back(ToString(state));
    q_current.push_back(d.current);
    q_entered.push_back(d.entered);
  }
  std::vector<std::string> m_project;
  std::vector<int64_t> m_minute, m_created, m_succeeded, m_failed, m_retried, m_cancelled;
  for (const auto& [key, d] : kept.minutes) {
    m_project.push_back(key.first);
    m_minute.push_back(key.second);
    m_created.push_back(d.created);
    m_succeeded.push_back(d.succeeded);
    m_failed.push_back(d.failed);
    m_retried.push_back(d.retried);
    m_cancelled.push_back(d.cancelled);
  }
  std::vector<std::string> d_project;
  std::vector<int64_t> d_day, d_runs, d_succeeded, d_failed;
  for (const auto& [key, d] : kept.days) {
    d_project.push_back(key.first);
    d_day.push_back(key.second);
    d_runs.push_back(d.runs);
    d_succeeded.push_back(d.succeeded);
    d_failed.push_back(d.failed);
  }
  std::vector<std::string> a_project;
  std::vector<int64_t> a_count;
  for (const auto& [project, n] : kept.active_jobs) {
    a_project.push_back(project);
    a_count.push_back(n);
  }
  // Sent with the COMMIT that follows, in one round trip.
  db.Defer(kFlushSql, TextArray(q_project), TextArray(q_queue), TextArray(q_state),
           IntArray(q_current), IntArray(q_entered), TextArray(m_project), IntArray(m_minute),
           IntArray(m_created), IntArray(m_succeeded), IntArray(m_failed), IntArray(m_retried),
           IntArray(m_cancelled), TextArray(d_project), IntArray(d_day), IntArray(d_runs),
           IntArray(d_succeeded), IntArray(d_failed), TextArray(a_project), IntArray(a_count));
  counters.Clear();
}

}  // namespace flare::daemon::postgres
