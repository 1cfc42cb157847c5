// How `worker run` finds and starts its command: execvp's PATH search checked up front, the OS
// error of a failed exec, and the words a run's error uses for an exit.

#include "cli/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/testutil/temp_dir.h"

namespace flare::cli {
namespace {

TEST(FindExecutable, NamesTheMissingPathAndTheOsError) {
  auto found = FindExecutable("./does-not-exist.sh");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().message, "cannot run ./does-not-exist.sh: No such file or directory");
}

TEST(FindExecutable, RefusesAFileWithoutExecutePermissionAndADirectory) {
  flare::testing::TempDir dir;
  auto script = dir.path() / "job.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  chmod(script.c_str(), 0644);
  auto not_executable = FindExecutable(script.string());
  ASSERT_FALSE(not_executable.ok());
  // Even root needs one execute bit.
  EXPECT_NE(not_executable.error().message.find("Permission denied"), std::string::npos);
  auto directory = FindExecutable(dir.path().string());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("Is a directory"), std::string::npos);
  chmod(script.c_str(), 0755);
  EXPECT_EQ(*FindExecutable(script.string()), script.string());
}

TEST(FindExecutable, SearchesPathLikeExecvp) {
  auto sh = FindExecutable("sh");
  ASSERT_TRUE(sh.ok()) << sh.error().message;
  EXPECT_EQ(sh->back(), 'h');
  EXPECT_NE(sh->find('/'), std::string::npos);
  auto missing = FindExecutable("flare-no-such-command");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "cannot run flare-no-such-command: No such file or directory (searched PATH)");
}

TEST(SpawnChild, AFailedExecReportsTheOsError) {
  auto child = SpawnChild({"/nonexistent/job"}, {}, "");
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().message, "cannot run /nonexistent/job: No such file or directory");
}

TEST(DescribeExit, SaysTheExitStatusOrTheSignalName) {
  EXPECT_EQ(DescribeExit({false, 3}), "exit status 3");
  EXPECT_EQ(DescribeExit({true, SIGSEGV}), "killed by SIGSEGV");
  EXPECT_EQ(DescribeExit({true, SIGKILL}), "killed by SIGKILL");
}

}  // namespace
}  // namespace flare::cli
