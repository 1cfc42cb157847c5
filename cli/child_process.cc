#include "cli/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace flare::cli {
namespace {

/// A memfd holding `input`, positioned at 0.
int InputFile(const std::string& input) {
  int fd = memfd_create("flare-payload", MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t written = 0;
  while (written < input.size()) {
    ssize_t n = write(fd, input.data() + written, input.size() - written);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    written += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

void CloseAll(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
}

}  // namespace

Result<ChildProcess> SpawnChild(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, const std::string& input) {
  if (argv.empty()) return Error{ErrorCode::kInvalidRequest, "no command to run", ""};
  std::vector<std::string> args = argv, vars = env;
  std::vector<char*> arg_ptrs = Pointers(args), env_ptrs = Pointers(vars);
  int in_fd = InputFile(input);
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (in_fd < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    CloseAll({in_fd, out[0], out[1], err[0], err[1]});
    return Error{ErrorCode::kInternal, std::string("cannot set up the child: ") + strerror(errno),
                 ""};
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_fd, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execvpe(arg_ptrs[0], arg_ptrs.data(), env_ptrs.data());
    const char message[] = "flare worker: cannot execute the command\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(127);
  }
  CloseAll({in_fd, out[1], err[1]});
  if (pid < 0) {
    CloseAll({out[0], err[0]});
    return Error{ErrorCode::kInternal, std::string("fork failed: ") + strerror(errno), ""};
  }
  setpgid(pid, pid);  // also from the parent, so a signal right away cannot miss the group
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  return ChildProcess{pid, out[0], err[0]};
}

void SignalChild(pid_t pid, int signal) {
  if (pid <= 0) return;
  if (kill(-pid, signal) != 0) kill(pid, signal);
}

std::optional<ChildExit> TryReapChild(pid_t pid) {
  int status = 0;
  pid_t done = waitpid(pid, &status, WNOHANG);
  if (done != pid) return std::nullopt;
  if (WIFSIGNALED(status)) return ChildExit{true, WTERMSIG(status)};
  return ChildExit{false, WEXITSTATUS(status)};
}

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& drop,
                                          const std::vector<std::string>& add) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string var = *entry;
    std::string name = var.substr(0, var.find('='));
    bool dropped = false;
    for (const auto& d : drop) dropped = dropped || d == name;
    if (!dropped) env.push_back(std::move(var));
  }
  env.insert(env.end(), add.begin(), add.end());
  return env;
}

}  // namespace flare::cli
