// The WAL stays bounded: every statement on the writer's connection and on reader
// connections is reset when its operation ends, so no read transaction stays open across
// commits and SQLite's auto-checkpoint can restart the WAL.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "daemon/store/job_repository.h"
#include "tests/testutil/build_flavour.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

class WalSizeTest : public ServiceTest {
 protected:
  std::uintmax_t WalBytes() {
    std::error_code ec;
    auto size = std::filesystem::file_size(dir_ / "flare.db-wal", ec);
    return ec ? 0 : size;
  }

  // A few times what SQLite lets the WAL reach before its auto-checkpoint restarts it.
  std::uintmax_t WalBound() {
    auto pages = writer_.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
      return tx.conn().db().execAndGet("PRAGMA wal_autocheckpoint").getInt64();
    });
    auto page_size = writer_.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
      return tx.conn().db().execAndGet("PRAGMA page_size").getInt64();
    });
    return static_cast<std::uintmax_t>(2 * pages.value() * page_size.value());
  }
};

TEST_F(WalSizeTest, WalStaysBoundedOverTwentyThousandWritesWithLookups) {
  const std::uintmax_t bound = WalBound();
  ASSERT_GT(bound, 0u);
  // Each with a lookup: 20,000 writes, 60 times the WAL's auto-checkpoint size (a quarter of
  // that under a sanitizer).
  constexpr int kCreates = flare::testing::ScaleForBuild(10'000);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  std::string first_id;
  std::uintmax_t largest = 0;
  for (int i = 0; i < kCreates && std::chrono::steady_clock::now() < give_up; ++i) {
    auto created = jobs_.Create(
        kProject,
        {{"job_type", "t"}, {"slug", "job-" + std::to_string(i)}, {"payload", {{"i", i}}}},
        "key-" + std::to_string(i));
    ASSERT_TRUE(created.ok()) << created.error().message;
    if (first_id.empty()) first_id = created->id;
    // A writer op whose lookup stops after its first row, as FindJob does for every update.
    ASSERT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      if (!FindJob(tx.conn(), kProject, first_id))
                        return InvalidRequest("lost the first job");
                      return Ok{};
                    })
                    .ok());
    // Readers too: a lease ends with its statements reset.
    if (i % 100 == 0) {
      ASSERT_TRUE(jobs_.Get(kProject, first_id).ok());
    }
    if (i % 500 == 0) {
      largest = std::max(largest, WalBytes());
      ASSERT_LE(largest, bound) << "the WAL grew to " << largest << " bytes after " << i
                                << " creates (bound " << bound << ")";
    }
  }
  largest = std::max(largest, WalBytes());
  EXPECT_LE(largest, bound) << "the WAL grew to " << largest << " bytes";
}

}  // namespace
}  // namespace flare::daemon
