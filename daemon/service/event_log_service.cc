#include "daemon/service/event_log_service.h"

#include <algorithm>

#include "common/ids.h"
#include "daemon/service/job_service.h"
#include "daemon/service/views.h"
#include "daemon/store/job_store.h"

namespace flare::daemon {
namespace {

// Events read per database query while a stream catches up, and per ring read.
constexpr int kCatchUpPage = 500;
constexpr size_t kRingBatch = 1000;
// A Last-Event-ID stamped later than this past our clock was never issued by flared.
constexpr auto kClockSlack = std::chrono::minutes(1);

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> types = {
      "created",         "scheduled",     "started",   "progress", "succeeded", "attempt_failed",
      "retry_scheduled", "dead_lettered", "cancelled", "retried",  "rerun",     "updated",
      "paused",          "resumed",       "deleted",   "skipped"};
  return types;
}

Result<std::vector<std::string>> ParseTypes(const std::string& text) {
  std::vector<std::string> types;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    std::string type =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto& known = EventTypes();
    if (std::find(known.begin(), known.end(), type) == known.end()) {
      return InvalidRequest("type '" + type.substr(0, 64) +
                                "' is not an event type; use one or more (comma-separated) of "
                                "created, scheduled, started, progress, succeeded, "
                                "attempt_failed, retry_scheduled, dead_lettered, cancelled, "
                                "retried, rerun, updated, paused, resumed, deleted, skipped",
                            "type");
    }
    types.push_back(type);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return types;
}

}  // namespace

bool EventStream::Matches(const BusEvent& event) const {
  const EventRecord& record = event.record();
  if (record.project_id != project_id_) return false;
  if (!filter_.job_id.empty() && record.job_id != filter_.job_id) return false;
  if (!filter_.queue.empty() && event.queue() != filter_.queue) return false;
  if (!filter_.types.empty() &&
      std::find(filter_.types.begin(), filter_.types.end(), record.type) == filter_.types.end()) {
    return false;
  }
  return true;
}

StreamRead EventStream::Read(std::string& out, SteadyTime until) {
  while (!bus_.stopping()) {
    uint64_t generation = bus_.generation();
    std::vector<std::shared_ptr<const BusEvent>> recent;
    std::string floor;
    if (!bus_.ReadAfter(position_, kRingBatch, recent, floor)) {
      // Behind the ring: catch up from the database in short reads. The floor was read
      // first, so a short page means everything up to it is read.
      std::vector<EventRecord> rows;
      {
        auto reader = readers_.Acquire();
        rows = reader->events().After(project_id_, filter_, position_, kCatchUpPage);
      }
      for (const auto& row : rows) out += EventFrame(row);
      if (!rows.empty()) position_ = rows.back().position;
      if (rows.size() < static_cast<size_t>(kCatchUpPage)) position_ = std::max(position_, floor);
      if (!out.empty()) return StreamRead::kFrames;
      continue;
    }
    for (const auto& event : recent) {
      if (Matches(*event)) out += event->Frame();
      position_ = event->record().position;
    }
    if (!out.empty()) return StreamRead::kFrames;
    if (!recent.empty()) continue;  // only other projects' events: look again at once
    if (!bus_.WaitPast(generation, until)) {
      return bus_.stopping() ? StreamRead::kStopped : StreamRead::kIdle;
    }
  }
  return StreamRead::kStopped;
}

StreamRead JobSnapshotStream::Read(std::string& out, SteadyTime until) {
  if (bus_.stopping()) return StreamRead::kStopped;
  if (seen_version_ && !watch_.Wait(*seen_version_, until)) {
    return bus_.stopping() ? StreamRead::kStopped : StreamRead::kIdle;
  }
  // The version is read before the job: a change committed after this read bumps it again.
  seen_version_ = watch_.version();
  std::optional<JobRecord> job;
  {
    auto reader = readers_.Acquire();
    job = reader->jobs().Find(project_id_, job_id_);
  }
  if (!job) {
    finished_ = true;
    return StreamRead::kStopped;
  }
  nlohmann::json snapshot = {
      {"state", job->state},
      {"progress", job->progress ? nlohmann::json(*job->progress) : nlohmann::json(nullptr)},
      {"attempt", job->attempt},
      {"max_attempts", job->max_attempts}};
  finished_ = IsTerminal(job->state);
  if (snapshot == last_) return StreamRead::kIdle;
  last_ = snapshot;
  out.append("event: snapshot\ndata: ").append(snapshot.dump()).append("\n\n");
  return StreamRead::kFrames;
}

Result<EventLogFilter> EventLogService::Resolve(const std::string& project_id,
                                                const EventLogQuery& query) {
  EventLogFilter filter;
  filter.queue = query.queue;
  auto types = ParseTypes(query.types);
  if (!types) return types.error();
  filter.types = std::move(*types);
  if (!query.job.empty()) {
    auto reader = ctx_.readers.Acquire();
    auto job = reader->jobs().Find(project_id, query.job);
    if (!job) return JobNotFound(query.job);
    filter.job_id = job->id;
  }
  return filter;
}

Result<Page<EventRecord>> EventLogService::List(const std::string& project_id,
                                                const EventLogQuery& query,
                                                const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto filter = Resolve(project_id, query);
  if (!filter) return filter.error();
  std::vector<EventRecord> events;
  {
    auto reader = ctx_.readers.Acquire();
    events = reader->events().Before(project_id, *filter, *cursor ? (*cursor)->id : "", limit + 1);
  }
  return PageOfRows(std::move(events), limit, [](const EventRecord& event) {
    return PageCursor{ToMillis(event.at), event.id};
  });
}

Result<std::unique_ptr<EventStream>> EventLogService::Follow(const std::string& project_id,
                                                             const EventLogQuery& query,
                                                             const std::string& last_event_id,
                                                             std::string& note) {
  auto filter = Resolve(project_id, query);
  if (!filter) return filter.error();
  std::string position = last_event_id;
  if (position.empty()) {
    position = bus_.Newest();  // from now on
  } else {
    auto stamped = IsValidId(position, "evt") ? IdTimestamp(position) : std::nullopt;
    if (!stamped) {
      return InvalidRequest(
          "Last-Event-ID must be the id of an event (evt_…) this stream sent; reconnect "
          "without it to follow from now",
          "last_event_id");
    }
    if (*stamped > ctx_.clock.Now() + kClockSlack) {
      return InvalidRequest("Last-Event-ID " + position +
                                " names no event flared issued (its time is in the future); "
                                "reconnect without it to follow from now",
                            "last_event_id");
    }
    ResumePoint resume;
    {
      auto reader = ctx_.readers.Acquire();
      resume = reader->events().PositionOf(project_id, position);
    }
    if (!resume.found) {
      note = ": last-event-id " + position +
             " is not in the log (pruned by retention?); resuming after its position\n\n";
    }
    position = std::move(resume.position);
  }
  return std::make_unique<EventStream>(bus_, ctx_.readers, project_id, std::move(*filter),
                                       std::move(position));
}

Result<std::unique_ptr<JobSnapshotStream>> EventLogService::FollowJob(
    const std::string& project_id, const std::string& id_or_slug) {
  std::optional<JobRecord> job;
  {
    auto reader = ctx_.readers.Acquire();
    job = reader->jobs().Find(project_id, id_or_slug);
  }
  if (!job) return JobNotFound(id_or_slug);
  return std::make_unique<JobSnapshotStream>(bus_, ctx_.readers, project_id, job->id);
}

}  // namespace flare::daemon
