#pragma once
// Writes API keys' last-use times. Authentication notes each use in memory only (a write
// per request would put every GET behind the writer); this thread hands what was noted to
// the writer once per interval (a minute), as one small transaction, and once more at
// stop. So `last_used_at` in the database lags by at most the interval, and the list
// route overlays the fresher in-memory time.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/api/auth.h"
#include "daemon/service/api_key_service.h"

namespace flare::daemon {

class KeyUsageFlusher {
 public:
  KeyUsageFlusher(Authenticator& auth, ApiKeyService& keys,
                  std::chrono::milliseconds interval = std::chrono::minutes(1))
      : auth_(auth), keys_(keys), interval_(interval) {}
  ~KeyUsageFlusher() { Stop(); }

  void Start();
  /// Flushes what is left and joins the thread (before the writer stops).
  void Stop();
  /// One flush now.
  void Flush();

 private:
  void Loop();

  Authenticator& auth_;
  ApiKeyService& keys_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flare::daemon
