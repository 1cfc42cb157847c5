#include "daemon/api/elastic_pool.h"

namespace flare::daemon {

ElasticThreadPool::ElasticThreadPool(size_t initial_threads, size_t max_threads)
    : max_threads_(max_threads) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < initial_threads && i < max_threads; ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

ElasticThreadPool::~ElasticThreadPool() { shutdown(); }

void ElasticThreadPool::enqueue(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  tasks_.push_back(std::move(task));
  // Each queued task needs its own thread soon: connections are long-lived.
  if (idle_ < tasks_.size() && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { Work(); });
  }
  ready_.notify_one();
}

void ElasticThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  ready_.notify_all();
  for (auto& thread : threads) {
    if (thread.joinable()) thread.join();
  }
}

void ElasticThreadPool::Work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_;
    ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, nothing left
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace flare::daemon
