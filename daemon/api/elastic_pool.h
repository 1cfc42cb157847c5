#pragma once
// The threads that serve requests. A request holds its thread while its body is read, its
// handler runs and its answer is written, and a waiting long-poll holds its thread for up to
// 60 s, so a fixed pool would let a few pollers starve every other request. This pool starts
// a new thread whenever none is idle, up to a ceiling sized for max waiters plus ordinary
// traffic. When no thread can take a task (the ceiling is reached, or the system refuses a
// new thread) TrySubmit says so and the caller answers 503, instead of an exception ending
// flared.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flare::daemon {

class ElasticThreadPool final {
 public:
  /// `start_thread` starts a thread running its argument; tests replace it to simulate a
  /// system that refuses new threads (it may throw std::system_error like std::thread).
  using ThreadStarter = std::function<std::thread(std::function<void()>)>;

  ElasticThreadPool(size_t initial_threads, size_t max_threads, ThreadStarter start_thread = {});
  ~ElasticThreadPool();
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  /// Runs `task` on a pool thread; false (and `task` dropped) when no thread can take it.
  bool TrySubmit(std::function<void()> task);
  /// True while tasks hold fewer than half of the ceiling's threads: a task may then keep
  /// its thread a little longer (a keep-alive connection waiting for its next request)
  /// without bringing the pool near the point where requests are refused.
  bool HasHeadroom();
  /// Runs what is queued, then joins every thread. Later submissions are refused.
  void Shutdown();

 private:
  bool StartThreadLocked();
  void Work();

  const size_t max_threads_;
  ThreadStarter start_thread_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace flare::daemon
