#pragma once
// An export reads its next page on a thread of its own while the connection sends the page
// before it: reading and formatting a page (SQLite steps, JSON text) and writing it to the
// socket then run on two cores instead of taking turns on one.

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/service/export_service.h"

namespace flare::daemon {

class ExportPrefetcher {
 public:
  explicit ExportPrefetcher(std::unique_ptr<ExportCursor> cursor);
  /// Stops reading (the client went away or flared stops) and waits for the page in hand.
  ~ExportPrefetcher();
  ExportPrefetcher(const ExportPrefetcher&) = delete;
  ExportPrefetcher& operator=(const ExportPrefetcher&) = delete;

  /// Swaps the next page into `page` (whose old buffer goes back to the reader, so no page
  /// allocates anew); false once everything was read. Rethrows what the reader threw.
  bool Next(std::string& page);

 private:
  void ReadAhead();

  std::unique_ptr<ExportCursor> cursor_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string ready_;  // a read page not taken yet (when has_ready_)
  bool has_ready_ = false;
  bool finished_ = false;  // the cursor has nothing more
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::thread reader_;
};

}  // namespace flare::daemon
