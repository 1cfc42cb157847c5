#pragma once
// The PostgreSQL ExportStore (store/export_store.h, whose comments are the contract; the SQLite
// one is in store/export_reader.*). session.h says what a write transaction locks.

#include "daemon/store/export_store.h"
#include "daemon/store/postgres/session.h"

namespace flare::daemon::postgres {

class PgExportStore final : public ExportStore {
 public:
  explicit PgExportStore(Session session) : session_(session) {}
  int ReadJobPage(const ExportWindow& window, int limit, const ExportRowVisitor& visit) override;
  int ReadRunPage(const ExportWindow& window, int limit, const ExportRowVisitor& visit) override;
  OptTime TakeSlot(const std::string& project_id, const std::string& kind, TimePoint now,
                   std::chrono::milliseconds cooldown) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres
