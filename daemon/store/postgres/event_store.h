#pragma once
// The PostgreSQL EventStore (store/event_store.h, whose comments are the contract; the SQLite
// one is in store/event_repository.*). session.h says what a write transaction locks.

#include "daemon/store/event_store.h"
#include "daemon/store/postgres/session.h"

namespace flare::daemon::postgres {

class PgEventStore final : public EventStore {
 public:
  explicit PgEventStore(Session session) : session_(session) {}
  void Append(EventRecord& event) override;
  std::vector<EventRecord> OfJob(const std::string& job_id, std::optional<int64_t> before_rowid,
                                 int limit) override;
  std::vector<EventRecord> After(const std::string& project_id, const EventLogFilter& filter,
                                 const std::string& after_position, int limit) override;
  std::vector<EventRecord> Before(const std::string& project_id, const EventLogFilter& filter,
                                  const std::string& before_id, int limit) override;
  ResumePoint PositionOf(const std::string& project_id, const std::string& id) override;
  std::string LastId() override;
  std::string NewestPosition() override;
  std::optional<EventTailPage> Tail(const std::string& after_position, int limit) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres
