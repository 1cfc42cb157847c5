#pragma once
// cpp-httplib runs each connection on a pool thread for the connection's whole life, and a
// waiting long-poll holds its thread for up to 60 s. A fixed pool (the library's default
// is 8) would let eight pollers starve every other request. This pool starts a new thread
// whenever none is idle, up to a ceiling sized for max waiters plus ordinary traffic.

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flare::daemon {

class ElasticThreadPool final : public httplib::TaskQueue {
 public:
  ElasticThreadPool(size_t initial_threads, size_t max_threads);
  ~ElasticThreadPool() override;

  void enqueue(std::function<void()> task) override;
  void shutdown() override;

 private:
  void Work();

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace flare::daemon
