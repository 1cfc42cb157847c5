#include "daemon/bootstrap.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/clock.h"
#include "daemon/store/key_repository.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/writer.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

TEST(Bootstrap, AKeyFileThatCannotBeWrittenLeavesNoKeyHashBehind) {
  testing::TempDir dir;
  Writer writer((dir.path() / "flare.db").string(), Durability::kNormal, SystemClock::Instance());
  // The key file cannot be written: the install must not end up with a hash and no key.
  EXPECT_THROW(EnsureDefaultProject(writer, (dir.path() / "missing" / "dir").string()),
               std::runtime_error);
  std::string path = EnsureDefaultProject(writer, dir.path().string());
  ASSERT_EQ(path, (dir.path() / "admin.key").string());
  std::ifstream in(path);
  std::string key;
  std::getline(in, key);
  ReaderPool readers((dir.path() / "flare.db").string(), Durability::kNormal);
  auto keys = ActiveApiKeys(*readers.Borrow());
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].prefix, key.substr(0, 13));
  writer.Stop();
}

TEST(Bootstrap, SecondStartWritesNothing) {
  testing::TempDir dir;
  Writer writer((dir.path() / "flare.db").string(), Durability::kNormal, SystemClock::Instance());
  EXPECT_FALSE(EnsureDefaultProject(writer, dir.path().string()).empty());
  EXPECT_TRUE(EnsureDefaultProject(writer, dir.path().string()).empty());
  writer.Stop();
}

}  // namespace
}  // namespace flare::daemon
