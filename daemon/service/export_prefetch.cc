#include "daemon/service/export_prefetch.h"

namespace flare::daemon {

ExportPrefetcher::ExportPrefetcher(std::unique_ptr<ExportCursor> cursor)
    : cursor_(std::move(cursor)), reader_([this] { ReadAhead(); }) {}

ExportPrefetcher::~ExportPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  reader_.join();
}

void ExportPrefetcher::ReadAhead() {
  std::string page;
  while (true) {
    page.clear();
    bool more = false;
    std::exception_ptr failure;
    try {
      more = cursor_->Next(page);
    } catch (...) {
      failure = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    // One page read ahead at most: memory stays at a few pages however slow the client.
    changed_.wait(lock, [&] { return !has_ready_ || stopping_; });
    if (stopping_) return;
    if (failure || !more) {
      failure_ = failure;
      finished_ = true;
      changed_.notify_all();
      return;
    }
    std::swap(ready_, page);
    has_ready_ = true;
    changed_.notify_all();
  }
}

bool ExportPrefetcher::Next(std::string& page) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return has_ready_ || finished_; });
  if (!has_ready_) {
    if (failure_) std::rethrow_exception(failure_);
    return false;
  }
  std::swap(page, ready_);
  has_ready_ = false;
  changed_.notify_all();
  return true;
}

}  // namespace flare::daemon
