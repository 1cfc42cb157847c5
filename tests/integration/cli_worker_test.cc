// `flarectl worker run` and `jobs wait` against a real flared. Fails until the daemon lands.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/testutil/flared_process.h"

namespace flare::testing {
namespace {

/// `flarectl worker run` as a child process; SIGTERM and reap on destruction.
class WorkerProcess {
 public:
  WorkerProcess(const FlaredProcess& flared, const std::string& script) {
    pid_ = fork();
    if (pid_ == 0) {
      int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
      execl(FLARECTL_PATH, FLARECTL_PATH, "--base-url", flared.base_url().c_str(), "--api-key",
            flared.admin_key().c_str(), "worker", "run", "--queue", "default", "--concurrency", "2",
            "--", "/bin/sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~WorkerProcess() { Stop(); }
  int Stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    bool exited =
        WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, std::chrono::seconds(20));
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

std::string CreateJob(const FlaredProcess& flared, const std::string& payload,
                      const std::string& max_attempts = "1") {
  auto result = flared.Flarectl({"-o", "id", "jobs", "create", "--type", "t", "--payload", payload,
                                 "--max-attempts", max_attempts});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out.substr(0, result.out.find('\n'));
}

TEST(CliWorker, RunsJobsAndAcksByExitCode) {
  FlaredProcess flared;
  WorkerProcess worker(
      flared, R"(p=$(cat); case "$p" in *fail*) echo "it broke" >&2; exit 4;; esac; exit 0)");
  std::string ok = CreateJob(flared, R"({"do":"work"})");
  std::string bad = CreateJob(flared, R"({"do":"fail"})");
  auto waited_ok = flared.Flarectl({"jobs", "wait", ok, "--timeout", "30s"});
  EXPECT_EQ(waited_ok.exit_code, 0) << waited_ok.err;
  auto waited_bad = flared.Flarectl({"jobs", "wait", bad, "--timeout", "30s"});
  EXPECT_EQ(waited_bad.exit_code, 10) << waited_bad.err;
  auto job = nlohmann::json::parse(flared.Flarectl({"-o", "json", "jobs", "get", bad}).out);
  EXPECT_EQ(job["state"], "dead_letter");
  EXPECT_EQ(job["error"]["type"], "ExitCode");
  EXPECT_NE(job["error"]["message"].get<std::string>().find("it broke"), std::string::npos);
  EXPECT_EQ(worker.Stop(), 0);
}

TEST(CliWorker, WaitTimesOutAndReportsCancelled) {
  FlaredProcess flared;
  auto created = flared.Flarectl(
      {"-o", "id", "jobs", "create", "--type", "t", "--payload", "{}", "--run-at", "+1h"});
  std::string id = created.out.substr(0, created.out.find('\n'));
  EXPECT_EQ(flared.Flarectl({"jobs", "wait", id, "--timeout", "1s"}).exit_code, 12);
  EXPECT_EQ(flared.Flarectl({"jobs", "cancel", id, "--yes"}).exit_code, 0);
  EXPECT_EQ(flared.Flarectl({"jobs", "wait", id, "--timeout", "10s"}).exit_code, 11);
}

}  // namespace
}  // namespace flare::testing
