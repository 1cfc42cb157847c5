// The writer's VFS writes a commit's WAL frames in a few writes instead of two per page,
// and what it writes is the same WAL: other connections read every commit at once, and a
// copy of the files taken right after a commit (what a crash leaves) recovers whole, even
// for a transaction larger than the buffer whose pages spilled and were rewritten.

#include "daemon/store/wal_write_gathering.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/store/connection.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

// Write system calls this process has made so far (pwrite included).
int64_t WriteCalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return -1;
}

int64_t Count(Connection& c, const char* sql) { return c.db().execAndGet(sql).getInt64(); }

class WalWriteGatheringTest : public ::testing::Test {
 protected:
  WalWriteGatheringTest() {
    gathering_.Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB, n INTEGER)");
  }

  // One transaction of `rows` rows of `bytes` random bytes each; the write calls it made.
  static int64_t InsertRows(Connection& c, int rows, int bytes) {
    int64_t before = WriteCalls();
    c.Exec("BEGIN IMMEDIATE");
    auto& insert = c.Prepare("INSERT INTO t (v, n) VALUES (randomblob(?), 0)");
    for (int i = 0; i < rows; ++i) {
      insert.bind(1, bytes);
      insert.exec();
      insert.reset();
    }
    c.Exec("COMMIT");
    return WriteCalls() - before;
  }

  flare::testing::TempDir dir_;
  std::string path_ = (dir_ / "flare.db").string();
  Connection gathering_{path_, Durability::kNormal, Access::kReadWrite, WalWriteGatheringVfs()};
};

TEST_F(WalWriteGatheringTest, ACommitIsWrittenInAFewWritesAndOthersReadItAtOnce) {
  ASSERT_GE(WriteCalls(), 0) << "/proc/self/io is not readable here";
  Connection plain(path_, Durability::kNormal, Access::kReadWrite);
  Connection reader(path_, Durability::kNormal, Access::kReadOnly);

  // 48 rows of 2,000 bytes: two rows a page, ~24 pages, two writes each without gathering.
  int64_t plain_writes = InsertRows(plain, 48, 2000);
  int64_t gathered_writes = InsertRows(gathering_, 48, 2000);
  EXPECT_GE(plain_writes, 40) << "the default VFS writes a frame header and a page apart";
  EXPECT_LE(gathered_writes, 4) << "one write per 124 KiB of frames";
  EXPECT_EQ(Count(reader, "SELECT count(*) FROM t"), 96);
  // And a commit of the plain connection after the gathering one is read as well.
  InsertRows(plain, 1, 10);
  EXPECT_EQ(Count(reader, "SELECT count(*) FROM t"), 97);
}

TEST_F(WalWriteGatheringTest, WhatACrashLeavesAfterALargeRewrittenTransactionRecoversWhole) {
  // A page cache of 20 pages: the transaction spills pages to the WAL before its commit and
  // rewrites some of them in place, so SQLite rewrites frame checksums after the commit
  // frame. 3 MB of rows: more than the buffer and than one write.
  gathering_.Exec("PRAGMA cache_size=20");
  gathering_.Exec("BEGIN IMMEDIATE");
  auto& insert = gathering_.Prepare("INSERT INTO t (v, n) VALUES (randomblob(1000), 0)");
  for (int i = 0; i < 3000; ++i) {
    insert.exec();
    insert.reset();
  }
  gathering_.Exec("UPDATE t SET n = k");
  gathering_.Exec("COMMIT");

  // What a kill -9 now leaves: the database and its WAL, no shared memory; the next open
  // recovers the WAL and keeps only commits whose frames are all there with good checksums.
  flare::testing::TempDir copy;
  for (const char* suffix : {"", "-wal"}) {
    std::filesystem::copy_file(path_ + suffix, (copy / "flare.db").string() + suffix);
  }
  Connection recovered((copy / "flare.db").string(), Durability::kNormal, Access::kReadWrite);
  EXPECT_EQ(Count(recovered, "SELECT count(*) FROM t"), 3000);
  EXPECT_EQ(Count(recovered, "SELECT count(*) FROM t WHERE n = k"), 3000);
  EXPECT_EQ(recovered.db().execAndGet("PRAGMA integrity_check").getString(), "ok");
}

}  // namespace
}  // namespace flare::daemon
