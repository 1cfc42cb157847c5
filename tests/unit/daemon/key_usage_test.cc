// last_used_at without a write per request: authentication only notes the use in memory;
// the flusher turns everything noted into one small transaction per interval (and at stop).

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "daemon/api/key_usage_flusher.h"
#include "daemon/log.h"
#include "daemon/store/key_repository.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/schema.h"
#include "daemon/store/writer.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

class NoNotifier final : public WorkNotifier {
 public:
  void WorkerRunReady(const std::string&, const std::string&, const std::string&) override {}
  void HttpRunReady(const PendingHttpRun&) override {}
  void WakeAt(TimePoint) override {}
  void RunCancelled(const std::string&) override {}
};

TEST(KeyUsage, RequestsWriteNothingAndOneFlushRecordsTheLatestUse) {
  ConfigureLog(LogFormat::kText, LogLevel::kWarn);
  testing::TempDir dir;
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  std::string path = (dir / "flare.db").string();
  Writer writer(path, Durability::kNormal, clock);
  ReaderPool readers(path, Durability::kNormal);
  NoNotifier notifier;
  ServiceContext context{writer, readers, clock, notifier};
  ApiKeyService keys(context);
  auto created = keys.Create("prj_1", {{"name", "ci"}, {"scopes", {"jobs:read"}}});
  ASSERT_TRUE(created.ok());
  std::string secret = created->secret;
  Authenticator auth({created->record}, clock);
  KeyUsageFlusher flusher(auth, keys, std::chrono::hours(1));

  httplib::Request request;
  request.set_header("Authorization", "Bearer " + secret);
  uint64_t commits = writer.commit_count();
  for (int i = 0; i < 200; ++i) {
    clock.Advance(std::chrono::milliseconds(10));
    ASSERT_TRUE(auth.Authenticate(request, "jobs:read").ok());
  }
  EXPECT_EQ(writer.commit_count(), commits);
  flusher.Flush();
  EXPECT_EQ(writer.commit_count(), commits + 1);
  auto stored = FindApiKey(*readers.Borrow(), "prj_1", created->record.id);
  ASSERT_TRUE(stored && stored->last_used_at);
  EXPECT_EQ(*stored->last_used_at, clock.Now());
  flusher.Flush();  // nothing new: no transaction
  EXPECT_EQ(writer.commit_count(), commits + 1);
}

}  // namespace
}  // namespace flare::daemon
