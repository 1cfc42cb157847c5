#include "cli/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/// 0 when execve could run `path`, else the errno it would fail with.
int ExecutableError(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (!S_ISREG(st.st_mode)) return EACCES;
  return access(path.c_str(), X_OK) == 0 ? 0 : errno;
}

Error CannotRun(const std::string& command, int error, const std::string& detail = "") {
  return Error{ErrorCode::kInvalidRequest,
               "cannot run " + command + ": " + strerror(error) + detail, ""};
}

/// The search path execvp uses: $PATH, else the C library's default.
std::string SearchPath() {
  if (const char* path = getenv("PATH"); path != nullptr) return path;
  char buffer[256] = {};
  size_t n = confstr(_CS_PATH, buffer, sizeof buffer);
  return n > 0 && n <= sizeof buffer ? std::string(buffer) : "/bin:/usr/bin";
}

}  // namespace

Result<std::string> FindExecutable(const std::string& command) {
  if (command.empty()) return CannotRun("''", ENOENT);
  if (command.find('/') != std::string::npos) {
    int error = ExecutableError(command);
    if (error != 0) return CannotRun(command, error);
    return command;
  }
  // Like execvp: the first runnable entry wins; EACCES anywhere beats "not found".
  int error = ENOENT;
  std::string dirs = SearchPath();
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + command;
    int found = ExecutableError(candidate);
    if (found == 0) return candidate;
    if (found == EACCES) error = EACCES;
    start = end + 1;
  }
  return CannotRun(command, error, " (searched PATH)");
}

std::string DescribeExit(const ChildExit& exit) {
  if (!exit.signaled) return "exit status " + std::to_string(exit.code);
  const char* name = sigabbrev_np(exit.code);
  return name != nullptr ? std::string("killed by SIG") + name
                         : "killed by signal " + std::to_string(exit.code);
}

Result<ChildProcess> SpawnChild(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, const std::string& input) {
  if (argv.empty()) return Error{ErrorCode::kInvalidRequest, "no command to run", ""};
  std::vector<std::string> args = argv, vars = env;
  std::vector<char*> arg_ptrs = Pointers(args), env_ptrs = Pointers(vars);
  int in_fd = InputFile(input);
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  // The exec's errno comes back over `exec_error`; a successful exec closes it (CLOEXEC).
  int exec_error[2] = {-1, -1};
  if (in_fd < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
      pipe2(exec_error, O_CLOEXEC) != 0) {
    CloseAll({in_fd, out[0], out[1], err[0], err[1], exec_error[0], exec_error[1]});
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
    int error = errno;
    (void)!write(exec_error[1], &error, sizeof error);
    _exit(127);
  }
  int fork_error = errno;
  CloseAll({in_fd, out[1], err[1], exec_error[1]});
  if (pid < 0) {
    CloseAll({out[0], err[0], exec_error[0]});
    return Error{ErrorCode::kInternal, std::string("fork failed: ") + strerror(fork_error), ""};
  }
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = read(exec_error[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  close(exec_error[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    waitpid(pid, nullptr, 0);
    CloseAll({out[0], err[0]});
    return CannotRun(argv[0], exec_errno);
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
