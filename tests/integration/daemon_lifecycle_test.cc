// flared's life as a process (issue 6 items 9, 10, 15 and §5): one daemon per data dir and
// per port, a prompt exit on SIGTERM even before it listens, the open-file limit, and an
// admin key that survives an interrupted first start.

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

pid_t DaemonPid(const FlaredProcess& flared) {
  return static_cast<pid_t>(std::stol(ReadText(flared.data_dir() / "flared.lock")));
}

// Starts flared without waiting for anything; the caller reaps it.
pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> strings = {FLARED_PATH};
  strings.insert(strings.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& s : strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// True once flared's main has blocked its stop signals: SIGTERM blocked but SIGUSR1 not.
// A runtime that blocks every signal for a moment while it starts (TSan does, before main)
// does not count, or the test would send its SIGTERM before flared could take it.
bool SigtermBlocked(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigBlk:", 0) == 0) {
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      auto blocked = [mask](int signal) { return ((mask >> (signal - 1)) & 1) != 0; };
      return blocked(SIGTERM) && !blocked(SIGUSR1);
    }
  }
  return false;
}

TEST(DaemonLifecycle, IdleDaemonExitsWithinASecondOfSigterm) {
  FlaredProcess flared;
  ExpectHealthy(flared);
  auto start = Clock::now();
  EXPECT_EQ(flared.Stop(seconds(10)), 0);
  EXPECT_LT(MillisBetween(start, Clock::now()), 1000);
}

TEST(DaemonLifecycle, DaemonWithOpenConnectionsExitsPromptlyOnSigterm) {
  FlaredProcess flared;
  // Keep-alive clients, a waiting long-poll and a request whose head never finishes.
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", flared.port()));
    clients.back()->set_keep_alive(true);
    ASSERT_TRUE(clients.back()->Get("/healthz"));
  }
  std::thread poller([&] {
    flared.Call(
        "POST", "/flare/v1/workers/poll",
        {{"worker_id", "w"}, {"queues", {Unique("q")}}, {"max_jobs", 1}, {"wait_seconds", 30}});
  });
  auto start = Clock::now();
  EXPECT_EQ(flared.Stop(seconds(15)), 0);
  EXPECT_LT(MillisBetween(start, Clock::now()), 3000);
  poller.join();
}

TEST(DaemonLifecycle, SigtermBeforeListeningIsNotLost) {
  TempDir dir;
  pid_t pid =
      Spawn({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string()}, dir.path() / "log");
  ASSERT_TRUE(WaitFor([&] { return SigtermBlocked(pid); }, seconds(10)));
  kill(pid, SIGTERM);
  int status = 0;
  bool exited = WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, seconds(10));
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited) << "flared ignored a SIGTERM sent while it started; log:\n"
                      << ReadText(dir.path() / "log");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadText(dir.path() / "log");
}

TEST(DaemonLifecycle, SecondDaemonOnTheSameDataDirRefusesToStart) {
  FlaredProcess first;
  std::string addr = ReadText(first.data_dir() / "flared.addr");
  CommandResult second =
      RunProgram(FLARED_PATH, {"--listen", "127.0.0.1:0", "--data-dir", first.data_dir().string()},
                 "", {}, seconds(10));
  EXPECT_NE(second.exit_code, 0);
  std::string said = second.out + second.err;
  EXPECT_NE(said.find(first.data_dir().string()), std::string::npos) << said;
  EXPECT_NE(said.find("pid " + std::to_string(DaemonPid(first))), std::string::npos) << said;
  EXPECT_NE(said.find("already using"), std::string::npos) << said;
  EXPECT_EQ(ReadText(first.data_dir() / "flared.addr"), addr);
  ExpectHealthy(first);
  ExpectCleanShutdown(first);
}

TEST(DaemonLifecycle, PortInUseFailsAtStartAndLeavesTheFirstDaemonAlone) {
  FlaredProcess first;
  std::string addr = ReadText(first.data_dir() / "flared.addr");
  TempDir other;
  CommandResult second = RunProgram(FLARED_PATH,
                                    {"--listen", "127.0.0.1:" + std::to_string(first.port()),
                                     "--data-dir", other.path().string()},
                                    "", {}, seconds(10));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE((second.out + second.err).find("address already in use"), std::string::npos)
      << second.err;
  EXPECT_FALSE(std::filesystem::exists(other.path() / "flared.addr"));
  EXPECT_EQ(ReadText(first.data_dir() / "flared.addr"), addr);
  // Every request reaches the first daemon (none land on a second one that would 401).
  for (int i = 0; i < 20; ++i) EXPECT_EQ(first.Call("GET", "/flare/v1/jobs?limit=1").status, 200);
  ExpectCleanShutdown(first);
}

TEST(DaemonLifecycle, OpenFileSoftLimitIsRaisedToTheHardLimit) {
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  if (mine.rlim_max <= 256) GTEST_SKIP() << "the hard limit leaves nothing to raise";
  rlimit lowered = mine;
  lowered.rlim_cur = 256;  // inherited by the daemon
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  std::unique_ptr<FlaredProcess> flared;
  try {
    flared = std::make_unique<FlaredProcess>();
  } catch (...) {
    setrlimit(RLIMIT_NOFILE, &mine);
    throw;
  }
  setrlimit(RLIMIT_NOFILE, &mine);
  std::string limits = ReadText("/proc/" + std::to_string(DaemonPid(*flared)) + "/limits");
  std::istringstream lines(limits);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft, hard;
    fields >> soft >> hard;
    EXPECT_EQ(soft, hard) << line;
    EXPECT_NE(soft, "256") << line;
  }
  ExpectCleanShutdown(*flared);
}

TEST(DaemonLifecycle, AdminKeyLeftByAnInterruptedFirstStartIsAdopted) {
  FlaredProcess flared;
  flared.Kill9();
  // What a first start that stopped after writing admin.key and before committing its
  // hash leaves: the key file and no project.
  flared.EraseDatabase();
  std::string key = "flare_sk_" + std::string(40, 'A');
  std::ofstream(flared.data_dir() / "admin.key") << key << "\n";
  flared.Restart();
  EXPECT_EQ(ReadText(flared.data_dir() / "admin.key"), key + "\n");
  EXPECT_EQ(flared.Call("GET", "/flare/v1/jobs?limit=1", nullptr, key).status, 200);
  ExpectCleanShutdown(flared);
}

TEST(DaemonLifecycle, JsonLogWritesNumbersAsNumbers) {
  FlaredProcess flared({"--log-format", "json"});
  ASSERT_EQ(flared.Call("GET", "/healthz", nullptr, "").status, 200);
  ExpectCleanShutdown(flared);
  bool seen = false;
  std::istringstream lines(flared.Log());
  std::string line;
  while (std::getline(lines, line)) {
    json entry = json::parse(line, nullptr, false);
    if (!entry.is_object() || entry.value("msg", "") != "request") continue;
    seen = true;
    EXPECT_TRUE(entry["status"].is_number_integer()) << line;
    EXPECT_EQ(entry["status"], 200) << line;
    EXPECT_TRUE(entry["ms"].is_number()) << line;
  }
  EXPECT_TRUE(seen) << flared.Log();
}

}  // namespace
}  // namespace flare::testing
