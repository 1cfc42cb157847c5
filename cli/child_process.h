#pragma once
// Child processes for `worker run`: fork/exec without a shell, stdin from a memory file
// (so a large payload never blocks on a pipe), stdout and stderr as non-blocking pipes, in a
// process group of its own (the terminal's Ctrl-C reaches the worker, not the children — the
// worker decides whether they finish or die).

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace flare::cli {

struct ChildProcess {
  pid_t pid = -1;
  int stdout_fd = -1;  // read ends, O_NONBLOCK | O_CLOEXEC
  int stderr_fd = -1;
};

/// How a child ended.
struct ChildExit {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number when signaled
};

/// Where execvp would find `command`: itself when it has a '/', else the first PATH entry
/// (the default search path when PATH is unset) holding an executable regular file. Fails
/// with "cannot run CMD: <the OS error>" when nothing there can be executed.
Result<std::string> FindExecutable(const std::string& command);
/// "exit status 3" or "killed by SIGSEGV".
std::string DescribeExit(const ChildExit& exit);

/// Starts argv[0] (PATH is searched) with exactly `env` ("K=V") and `input` on stdin.
/// Fails with the OS error when the exec itself fails (reported back over a pipe).
Result<ChildProcess> SpawnChild(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, const std::string& input);
/// Sends `signal` to the child's process group.
void SignalChild(pid_t pid, int signal);
/// Reaps the child if it has exited (non-blocking).
std::optional<ChildExit> TryReapChild(pid_t pid);
/// This process's environment minus the variables named in `drop`, plus `add`.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& drop,
                                          const std::vector<std::string>& add);

}  // namespace flare::cli
