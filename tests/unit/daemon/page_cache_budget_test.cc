// SQLite's page cache is per connection and stays allocated while the connection lives, so
// its size times the connections flared keeps open is memory an idle daemon holds. Issue 8
// asks for RSS ≤ 64 MiB with 1,000,000 jobs stored and idle; flared's own baseline is
// ~20 MiB, so the writer's cache and a few warm readers' caches must fit in 32 MiB.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/store/connection.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

// PRAGMA cache_size in KiB (a negative setting is -KiB, a positive one is pages).
int64_t CacheKib(Connection& c) {
  int64_t size = c.db().execAndGet("PRAGMA cache_size").getInt64();
  if (size < 0) return -size;
  return size * c.db().execAndGet("PRAGMA page_size").getInt64() / 1024;
}

TEST(PageCacheBudgetTest, WriterAndFourWarmReadersFitInThirtyTwoMebibytes) {
  testing::TempDir dir;
  std::string path = (dir / "flare.db").string();
  Connection writer(path, Durability::kFull, Access::kReadWrite);
  Connection reader(path, Durability::kFull, Access::kReadOnly);
  int64_t writer_kib = CacheKib(writer);
  int64_t reader_kib = CacheKib(reader);
  EXPECT_GE(writer_kib, 8 * 1024) << "the writer keeps a large store's hot index pages";
  EXPECT_LE(writer_kib + 4 * reader_kib, 32 * 1024)
      << "writer " << writer_kib << " KiB, reader " << reader_kib << " KiB";
}

}  // namespace
}  // namespace flare::daemon
