// `flarectl worker run` and `jobs wait` against a real flared.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/testutil/flared_process.h"
#include "tests/testutil/temp_dir.h"

namespace flare::testing {
namespace {

/// `flarectl worker run` as a child process; SIGTERM and reap on destruction.
class WorkerProcess {
 public:
  /// Runs `script` for each job; the worker's output goes to `log_path`.
  WorkerProcess(const FlaredProcess& flared, const std::string& script,
                const std::string& log_path = "/dev/null") {
    pid_ = fork();
    if (pid_ == 0) {
      int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execl(FLARECTL_PATH, FLARECTL_PATH, "--base-url", flared.base_url().c_str(), "--api-key",
            flared.admin_key().c_str(), "worker", "run", "--queue", "default", "--concurrency", "2",
            "--", "/bin/sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~WorkerProcess() { Stop(); }
  pid_t pid() const { return pid_; }
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

std::string CreateJobWithPayload(const FlaredProcess& flared, const std::string& payload,
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
  std::string ok = CreateJobWithPayload(flared, R"({"do":"work"})");
  std::string bad = CreateJobWithPayload(flared, R"({"do":"fail"})");
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

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// flared goes down while a job finishes and comes back within the lease: the worker keeps
// retrying the ack until it lands, so the job runs once (not again when the lease lapses).
TEST(CliWorker, AckIsDeliveredAfterFlaredComesBackWithinTheLease) {
  FlaredProcess flared;
  TempDir dir;
  auto started = dir / "started", go = dir / "go", log = dir / "worker.log";
  WorkerProcess worker(flared,
                       "touch '" + started.string() + "'; while [ ! -e '" + go.string() +
                           "' ]; do sleep 0.05; done; exit 0",
                       log.string());
  auto created =
      flared.Flarectl({"-o", "id", "jobs", "create", "--type", "t", "--payload", "{}",
                       "--max-attempts", "2", "--timeout", "20s", "--retry-delay", "1s"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = created.out.substr(0, created.out.find('\n'));
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(started); }, std::chrono::seconds(30)));

  flared.Kill9();
  std::ofstream(go).put('\n');
  // Three failed tries: as many as the worker used to make before giving up for good.
  ASSERT_TRUE(WaitFor([&] { return Occurrences(ReadText(log), "ack failed") >= 3; },
                      std::chrono::seconds(30)))
      << ReadText(log);
  flared.RestartOnSamePort();

  auto waited = flared.Flarectl({"jobs", "wait", id, "--timeout", "60s"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err << ReadText(log);
  auto runs = flared.Flarectl({"-o", "json", "runs", "list", "--job", id});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  auto list = nlohmann::json::parse(runs.out);
  auto data = list.is_array() ? list : list["data"];
  ASSERT_EQ(data.size(), 1u) << runs.out << ReadText(log);
  EXPECT_EQ(data[0]["state"], "succeeded");
  EXPECT_EQ(data[0]["attempt"], 1) << runs.out;  // a retry would be attempt 2 of this run
  EXPECT_EQ(Occurrences(ReadText(log), "] started (attempt"), 1u) << ReadText(log);
  EXPECT_NE(ReadText(log).find("ack delivered"), std::string::npos) << ReadText(log);
  EXPECT_EQ(worker.Stop(), 0);
}

// The state letter of /proc/<stat_path> ('R', 'S', 'T', 'Z', ...), or 0 when it is gone.
char StateIn(const std::filesystem::path& stat_path) {
  std::string stat = ReadText(stat_path);
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : 0;
}

// True once process `pid` has exited and waits to be reaped by its parent.
bool IsZombie(const std::string& pid) { return StateIn("/proc/" + pid + "/stat") == 'Z'; }

// True once every thread of `pid` has stopped. SIGSTOP is not synchronous: kill() returns
// before a busy machine has scheduled each thread into its stop, and until then the
// process can still reap its children.
bool IsStopped(pid_t pid) {
  std::error_code error;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", error);
  if (error) return false;
  for (const auto& task : tasks) {
    if (StateIn(task.path() / "stat") != 'T') return false;
  }
  return true;
}

// Children that end together are acked by one list ack, each with its own outcome. The
// worker is stopped (SIGSTOP) while both children exit, so it reaps them in one pass.
TEST(CliWorker, JobsThatEndTogetherAreAckedInOneList) {
  FlaredProcess flared;
  TempDir dir;
  auto go = dir / "go", log = dir / "worker.log";
  WorkerProcess worker(flared,
                       "echo $$ > '" + dir.path().string() +
                           "/pid.'$FLARE_JOB_ID; p=$(cat); while [ ! -e '" + go.string() +
                           "' ]; do sleep 0.02; done; case \"$p\" in *fail*) echo nope >&2; "
                           "exit 5;; esac; exit 0",
                       log.string());
  std::string ok = CreateJobWithPayload(flared, R"({"do":"work"})");
  std::string bad = CreateJobWithPayload(flared, R"({"do":"fail"})");
  auto pid_of = [&](const std::string& id) { return ReadText(dir / ("pid." + id)); };
  // Both children run and the worker watches both ("started" is logged once it does).
  ASSERT_TRUE(WaitFor(
      [&] {
        return !pid_of(ok).empty() && !pid_of(bad).empty() &&
               Occurrences(ReadText(log), "started (attempt") == 2;
      },
      std::chrono::seconds(30)))
      << ReadText(log);
  ASSERT_EQ(kill(worker.pid(), SIGSTOP), 0);
  if (!WaitFor([&] { return IsStopped(worker.pid()); }, std::chrono::seconds(10))) {
    kill(worker.pid(), SIGCONT);
    FAIL() << "the worker did not stop within 10 s of SIGSTOP";
  }
  std::ofstream(go).put('\n');
  std::string ok_pid = pid_of(ok), bad_pid = pid_of(bad);
  ok_pid.erase(ok_pid.find_last_not_of('\n') + 1);
  bad_pid.erase(bad_pid.find_last_not_of('\n') + 1);
  bool both_ended =
      WaitFor([&] { return IsZombie(ok_pid) && IsZombie(bad_pid); }, std::chrono::seconds(30));
  ASSERT_EQ(kill(worker.pid(), SIGCONT), 0);
  ASSERT_TRUE(both_ended);

  EXPECT_EQ(flared.Flarectl({"jobs", "wait", ok, "--timeout", "30s"}).exit_code, 0);
  EXPECT_EQ(flared.Flarectl({"jobs", "wait", bad, "--timeout", "30s"}).exit_code, 10);
  auto failed = nlohmann::json::parse(flared.Flarectl({"-o", "json", "jobs", "get", bad}).out);
  EXPECT_EQ(failed["state"], "dead_letter");
  EXPECT_EQ(failed["error"]["type"], "ExitCode");
  EXPECT_NE(failed["error"]["message"].get<std::string>().find("nope"), std::string::npos);
  EXPECT_NE(ReadText(log).find("acked 2 jobs in one request"), std::string::npos) << ReadText(log);
  EXPECT_EQ(worker.Stop(), 0);
}

// flared's register answer says "ack_next", so a busy worker's acks take its next jobs
// (README "Ack and take the next jobs"): each job so handed over runs under the lease the
// ack's answer gave it and is acked with it, once.
TEST(CliWorker, ABacklogIsWorkedThroughAcksThatTakeTheNextJobs) {
  FlaredProcess flared;
  TempDir dir;
  auto log = dir / "worker.log";
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(CreateJobWithPayload(flared, R"({"n":1})"));
  WorkerProcess worker(flared, "cat > /dev/null; exit 0", log.string());
  for (const std::string& id : ids) {
    EXPECT_EQ(flared.Flarectl({"jobs", "wait", id, "--timeout", "30s"}).exit_code, 0)
        << ReadText(log);
    auto job = nlohmann::json::parse(flared.Flarectl({"-o", "json", "jobs", "get", id}).out);
    EXPECT_EQ(job["state"], "succeeded");
    EXPECT_EQ(job["attempt"], 1) << "run once, under the lease it was handed";
  }
  EXPECT_EQ(Occurrences(ReadText(log), "started (attempt"), 12) << ReadText(log);
  EXPECT_EQ(ReadText(log).find("ack refused"), std::string::npos) << ReadText(log);
  EXPECT_EQ(worker.Stop(), 0);
}

TEST(CliWorker, RefusesToStartWhenTheCommandCannotRun) {
  FlaredProcess flared;
  auto result = flared.Flarectl(
      {"worker", "run", "--queue", "default", "--", "./does-not-exist.sh", "--flag"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("cannot run ./does-not-exist.sh: No such file or directory"),
            std::string::npos)
      << result.err;
  // It never registered, so it claimed nothing.
  auto workers = flared.Call("GET", "/flare/v1/workers");
  ASSERT_EQ(workers.status, 200) << workers.body;
  EXPECT_EQ(workers.body.find("does-not-exist"), std::string::npos);
  auto data = workers.json().is_array() ? workers.json() : workers.json()["data"];
  EXPECT_TRUE(data.empty()) << workers.body;
}

TEST(CliWorker, FailedRunRecordsTheExitStatusAndSignalName) {
  FlaredProcess flared;
  WorkerProcess worker(
      flared, R"(p=$(cat); case "$p" in *segv*) ulimit -c 0; kill -SEGV $$;; esac; exit 3)");
  std::string status = CreateJobWithPayload(flared, R"({"do":"exit"})");
  std::string signal = CreateJobWithPayload(flared, R"({"do":"segv"})");
  EXPECT_EQ(flared.Flarectl({"jobs", "wait", status, "--timeout", "30s"}).exit_code, 10);
  EXPECT_EQ(flared.Flarectl({"jobs", "wait", signal, "--timeout", "30s"}).exit_code, 10);
  auto by_status =
      nlohmann::json::parse(flared.Flarectl({"-o", "json", "jobs", "get", status}).out);
  EXPECT_EQ(by_status["error"]["message"], "exit status 3");
  auto by_signal =
      nlohmann::json::parse(flared.Flarectl({"-o", "json", "jobs", "get", signal}).out);
  EXPECT_EQ(by_signal["error"]["type"], "Signal");
  EXPECT_EQ(by_signal["error"]["message"], "killed by SIGSEGV");
  EXPECT_EQ(worker.Stop(), 0);
}

}  // namespace
}  // namespace flare::testing
