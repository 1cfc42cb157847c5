#include "common/thread_name.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace flare {
namespace {

// Each check runs on a thread of its own: the test runner's main thread keeps its name.
std::string NameSeenByTheThread(const std::string& name) {
  std::string seen;
  std::thread thread([&] {
    NameThisThread(name);
    seen = ThisThreadName();
  });
  thread.join();
  return seen;
}

TEST(ThreadName, AThreadReadsBackTheNameItWasGiven) {
  EXPECT_EQ(NameSeenByTheThread("writer"), "writer");
}

TEST(ThreadName, ANameLongerThanTheKernelKeepsIsCutToFifteenCharacters) {
  EXPECT_EQ(NameSeenByTheThread("a-very-long-thread-name"), "a-very-long-thr");
}

}  // namespace
}  // namespace flare
