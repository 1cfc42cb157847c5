#include "daemon/api/elastic_pool.h"

#include <system_error>

#include "common/thread_name.h"

namespace flare::daemon {

ElasticThreadPool::ElasticThreadPool(size_t initial_threads, size_t max_threads,
                                     ThreadStarter start_thread)
    : max_threads_(max_threads), start_thread_(std::move(start_thread)) {
  if (!start_thread_) {
    start_thread_ = [](std::function<void()> body) { return std::thread(std::move(body)); };
  }
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < initial_threads && i < max_threads; ++i) {
    if (!StartThreadLocked()) break;
  }
}

ElasticThreadPool::~ElasticThreadPool() { Shutdown(); }

bool ElasticThreadPool::StartThreadLocked() {
  try {
    threads_.push_back(start_thread_([this] {
      NameThisThread("requests");
      Work();
    }));
    // Idle from now on: it takes the next task even before it reaches its first wait.
    ++idle_;
    return true;
  } catch (const std::system_error&) {
    return false;  // EAGAIN: the system is out of threads or memory for a stack
  }
}

bool ElasticThreadPool::TrySubmit(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  // Each task needs a thread of its own now: a queued request would wait behind long-polls.
  if (idle_ <= tasks_.size()) {
    if (threads_.size() >= max_threads_ || !StartThreadLocked()) return false;
  }
  tasks_.push_back(std::move(task));
  ready_.notify_one();
  return true;
}

bool ElasticThreadPool::HasHeadroom() {
  std::lock_guard lock(mutex_);
  size_t busy = threads_.size() - idle_ + tasks_.size();
  return !stopping_ && busy * 2 < max_threads_;
}

void ElasticThreadPool::Shutdown() {
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
    ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, nothing left
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
    ++idle_;
  }
}

}  // namespace flare::daemon
