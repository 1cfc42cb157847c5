#include "daemon/api/key_usage_flusher.h"

#include "common/thread_name.h"
#include "daemon/log.h"

namespace flare::daemon {

void KeyUsageFlusher::Start() {
  thread_ = NamedThread("key-usage", [this] { Loop(); });
}

void KeyUsageFlusher::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Flush();
}

void KeyUsageFlusher::Flush() {
  auto uses = auth_.TakeUsage();
  if (auto written = keys_.RecordUsage(uses); !written) {
    LogWarn("could not record API key use", {{"error", written.error().message}});
  }
}

void KeyUsageFlusher::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace flare::daemon
