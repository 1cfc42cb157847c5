#pragma once
// The project event log (GET /events) as pages and as a live stream, and the snapshot
// stream of one job (GET /jobs/{id}/events as SSE). Streams read committed events from the
// event bus's ring and fall back to short database reads only to catch up; they wait on the
// bus, never on a timer.
//
// Streams move through the log's positions (store/event_store.h) and send
// event ids. Resuming after an id ("Last-Event-ID") sends every event after its position
// exactly once, on any node. An id that is well-formed but not in the log (pruned by
// retention, or never this project's) still names a place, since ids are ordered by time:
// the stream resumes after the newest retained event before it and says so in a comment
// line, so nothing retained after it is skipped. An id stamped in the future cannot have
// been issued and is refused (400), as is one that is not an event id at all.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/service/context.h"
#include "daemon/service/event_bus.h"
#include "daemon/service/page.h"
#include "daemon/store/event_store.h"

namespace flare::daemon {

/// The filters of GET /events as the client wrote them.
struct EventLogQuery {
  std::string job;  // id or slug
  std::string queue;
  std::string types;  // comma-separated
};

/// What a stream read produced.
enum class StreamRead { kFrames, kIdle, kStopped };

/// A live read of the project log from a position on.
class EventStream {
 public:
  EventStream(EventBus& bus, Readers& readers, std::string project_id, EventLogFilter filter,
              std::string after_position)
      : bus_(bus),
        readers_(readers),
        project_id_(std::move(project_id)),
        filter_(std::move(filter)),
        position_(std::move(after_position)) {}

  /// Appends the frames of the next events to `out`, waiting until `until` for some.
  StreamRead Read(std::string& out, SteadyTime until);
  /// The position after the last event read (matching the filter or not).
  const std::string& position() const { return position_; }

 private:
  bool Matches(const BusEvent& event) const;

  EventBus& bus_;
  EventBus::OpenStream open_{bus_};
  Readers& readers_;
  const std::string project_id_;
  const EventLogFilter filter_;
  std::string position_;
};

/// A job's snapshot stream: {state, progress, attempt, max_attempts} on every change.
class JobSnapshotStream {
 public:
  JobSnapshotStream(EventBus& bus, Readers& readers, std::string project_id, std::string job_id)
      : bus_(bus),
        watch_(bus, job_id),
        readers_(readers),
        project_id_(std::move(project_id)),
        job_id_(std::move(job_id)) {}

  /// Appends a "snapshot" frame when the job differs from the last one sent (the first
  /// call always sends), else waits until `until` for a change.
  StreamRead Read(std::string& out, SteadyTime until);
  /// The last snapshot sent was terminal (succeeded, dead_letter, cancelled) or the job is
  /// gone: the stream is over.
  bool finished() const { return finished_; }

 private:
  EventBus& bus_;
  EventBus::JobWatch watch_;
  Readers& readers_;
  const std::string project_id_;
  const std::string job_id_;
  std::optional<uint64_t> seen_version_;
  nlohmann::json last_;
  bool finished_ = false;
};

class EventLogService {
 public:
  EventLogService(ServiceContext context, EventBus& bus) : ctx_(context), bus_(bus) {}

  /// A page of the log, newest first (SPEC §1 list shape).
  Result<Page<EventRecord>> List(const std::string& project_id, const EventLogQuery& query,
                                 const std::string& cursor, int limit);
  /// A live stream after `last_event_id` ("" = from now). `note` receives a comment line
  /// to send first, if any.
  Result<std::unique_ptr<EventStream>> Follow(const std::string& project_id,
                                              const EventLogQuery& query,
                                              const std::string& last_event_id, std::string& note);
  /// The snapshot stream of a job (404 job_not_found when it does not exist).
  Result<std::unique_ptr<JobSnapshotStream>> FollowJob(const std::string& project_id,
                                                       const std::string& id_or_slug);

 private:
  Result<EventLogFilter> Resolve(const std::string& project_id, const EventLogQuery& query);

  ServiceContext ctx_;
  EventBus& bus_;
};

}  // namespace flare::daemon
