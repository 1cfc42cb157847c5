#pragma once
// The PostgreSQL NodeStore (store/node_store.h, whose comments are the contract; the SQLite
// one is in store/node_repository.*). session.h says what a write transaction locks.

#include "daemon/store/node_store.h"
#include "daemon/store/postgres/session.h"

namespace flare::daemon::postgres {

class PgNodeStore final : public NodeStore {
 public:
  explicit PgNodeStore(Session session) : session_(session) {}
  void Insert(const NodeRecord& node) override;
  bool Touch(const std::string& node_id, TimePoint now) override;
  void Stop(const std::string& node_id, TimePoint now) override;
  int StopOthers(const std::string& self, TimePoint now) override;
  int DeleteStoppedIdle() override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres
