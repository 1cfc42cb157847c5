#pragma once
// The rows of an export page read straight from SQLite's C API. An export reads every row
// of up to 90 days; SQLiteCpp's per-column objects (a shared_ptr copy each) and the
// std::string copies of a full JobRecord were a large share of its cost. Here a row
// (ExportRow, export_store.h) is the statement itself: text is a view into SQLite's row
// buffer, valid until the next row.
//
// Pages are keyset pages ordered (created_at, id), read by one statement that is finalized
// when the page ends, so the read transaction lasts exactly one page.

#include "daemon/store/connection.h"
#include "daemon/store/export_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

/// Hands up to `limit` jobs of the window (deleted ones included), oldest first (created_at,
/// then id), to `visit` until it returns false. Returns the rows visited.
int ReadJobExportPage(Connection& c, const ExportWindow& window, int limit,
                      const ExportRowVisitor& visit);
/// The same for runs.
int ReadRunExportPage(Connection& c, const ExportWindow& window, int limit,
                      const ExportRowVisitor& visit);

/// The SQLite ExportStore (stores.h): the functions above over one connection.
/// ExportStore::TakeSlot over SQLite.
OptTime TakeExportSlot(Connection& c, const std::string& project_id, const std::string& kind,
                       TimePoint now, std::chrono::milliseconds cooldown);

class SqliteExportStore final : public ExportStore {
 public:
  explicit SqliteExportStore(Connection& c) : c_(c) {}
  int ReadJobPage(const ExportWindow& window, int limit, const ExportRowVisitor& visit) override {
    return ReadJobExportPage(c_, window, limit, visit);
  }
  int ReadRunPage(const ExportWindow& window, int limit, const ExportRowVisitor& visit) override {
    return ReadRunExportPage(c_, window, limit, visit);
  }
  OptTime TakeSlot(const std::string& project_id, const std::string& kind, TimePoint now,
                   std::chrono::milliseconds cooldown) override {
    return TakeExportSlot(c_, project_id, kind, now, cooldown);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon
