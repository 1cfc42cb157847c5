#include "daemon/api/elastic_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <system_error>

namespace flare::daemon {
namespace {

// Occupies one pool thread until the returned promise is set.
std::promise<void> OccupyOneThread(ElasticThreadPool& pool) {
  std::promise<void> release;
  auto released = release.get_future().share();
  auto running = std::make_shared<std::promise<void>>();
  EXPECT_TRUE(pool.TrySubmit([released, running] {
    running->set_value();
    released.wait();
  }));
  EXPECT_EQ(running->get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return release;
}

TEST(ElasticThreadPool, RefusesATaskWhenTheSystemRefusesANewThread) {
  std::atomic<int> started{0};
  ElasticThreadPool pool(0, 100, [&](std::function<void()> body) -> std::thread {
    if (started++ >= 1)
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    return std::thread(std::move(body));
  });
  auto release = OccupyOneThread(pool);
  // The only thread is busy and no other can start: refused, not thrown.
  EXPECT_FALSE(pool.TrySubmit([] {}));
  release.set_value();
  pool.Shutdown();
}

TEST(ElasticThreadPool, RefusesATaskAtTheCeiling) {
  ElasticThreadPool pool(1, 1);
  auto release = OccupyOneThread(pool);
  EXPECT_FALSE(pool.TrySubmit([] {}));
  release.set_value();
  pool.Shutdown();
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

TEST(ElasticThreadPool, StartsAThreadPerConcurrentTask) {
  ElasticThreadPool pool(0, 8);
  std::atomic<int> arrived{0};
  std::promise<void> release;
  auto released = release.get_future().share();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&] {
      ++arrived;
      released.wait();
    }));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (arrived < 8 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(arrived, 8);
  release.set_value();
  pool.Shutdown();
}

TEST(ElasticThreadPool, HasHeadroomWhileLessThanHalfTheCeilingIsBusy) {
  ElasticThreadPool pool(0, 4);
  EXPECT_TRUE(pool.HasHeadroom());
  auto first = OccupyOneThread(pool);
  EXPECT_TRUE(pool.HasHeadroom());
  auto second = OccupyOneThread(pool);
  EXPECT_FALSE(pool.HasHeadroom());
  first.set_value();
  second.set_value();
  pool.Shutdown();
  EXPECT_FALSE(pool.HasHeadroom());
}

}  // namespace
}  // namespace flare::daemon
