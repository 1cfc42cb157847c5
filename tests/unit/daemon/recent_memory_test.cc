// The bounded memory behind stored specs: it forgets the entry used least recently.

#include "daemon/store/recent_memory.h"

#include <gtest/gtest.h>

#include <string>

namespace flare::daemon {
namespace {

TEST(RecentMemoryTest, AFullMemoryForgetsTheEntryUsedLeastRecently) {
  RecentMemory<int> memory(2);
  memory.Remember("a", 1);
  memory.Remember("b", 2);
  ASSERT_NE(memory.Find("a"), nullptr);  // a is now more recent than b
  memory.Remember("c", 3);

  EXPECT_EQ(memory.size(), 2u);
  EXPECT_EQ(memory.Find("b"), nullptr);
  ASSERT_NE(memory.Find("a"), nullptr);
  EXPECT_EQ(*memory.Find("a"), 1);
  ASSERT_NE(memory.Find("c"), nullptr);
  EXPECT_EQ(*memory.Find("c"), 3);
}

TEST(RecentMemoryTest, KeysStayFindableThroughManyUsesAndEvictions) {
  // Each key is a long text (no short-string buffer), found through views of the stored
  // copies: they must stay valid while entries move to the front and others are dropped.
  RecentMemory<int> memory(8);
  auto key = [](int i) { return std::string(40, 'k') + std::to_string(i); };
  for (int i = 0; i < 100; ++i) {
    memory.Remember(key(i), i);
    for (int back = 0; back < 2 && back <= i; ++back) {
      const int* found = memory.Find(key(i - back));
      ASSERT_NE(found, nullptr) << i << " " << back;
      EXPECT_EQ(*found, i - back);
    }
  }
  EXPECT_EQ(memory.size(), 8u);
  for (int i = 92; i < 100; ++i) EXPECT_NE(memory.Find(key(i)), nullptr) << i;
  EXPECT_EQ(memory.Find(key(91)), nullptr);
  EXPECT_EQ(memory.Find(key(0)), nullptr);
}

TEST(RecentMemoryTest, AnUnknownKeyIsNotFound) {
  RecentMemory<std::string> memory(4);
  EXPECT_EQ(memory.Find("x"), nullptr);
  memory.Remember("x", "value");
  EXPECT_EQ(memory.Find("y"), nullptr);
  EXPECT_EQ(*memory.Find("x"), "value");
}

}  // namespace
}  // namespace flare::daemon
