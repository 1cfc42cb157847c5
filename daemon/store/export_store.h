#pragma once
// The storage port for one resource: Keyset pages of jobs and runs for export (export_reader.h).
// Services reach it through their transaction (Tx::exports()) or a read lease; each backend
// implements it (SQLite: SqliteExportStore in export_reader.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class ExportStore {
 public:
  virtual ~ExportStore() = default;
};

}  // namespace flare::daemon
