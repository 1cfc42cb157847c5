#pragma once
// CliError: a failure on its way to the user. It carries the exit code of SPEC §9, the
// snake_case code shown in "error: <sentence> (<code>)" and an optional hint line.
// Commands throw it (usually through ApiClient::Call); RunCli catches it once, prints it on
// stderr and returns the exit code, so command bodies read as the happy path.

#include <stdexcept>
#include <string>

namespace flare::cli {

/// The exit codes of SPEC §9.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitUnauthorized = 4;
inline constexpr int kExitConflict = 5;
inline constexpr int kExitUnreachable = 6;
inline constexpr int kExitRateLimited = 7;
inline constexpr int kExitWaitFailed = 10;
inline constexpr int kExitWaitCancelled = 11;
inline constexpr int kExitWaitTimedOut = 12;

class CliError : public std::runtime_error {
 public:
  CliError(int exit_code, std::string code, const std::string& message, std::string hint = {})
      : std::runtime_error(message),
        exit_code_(exit_code),
        code_(std::move(code)),
        hint_(std::move(hint)) {}

  int exit_code() const { return exit_code_; }
  const std::string& code() const { return code_; }
  const std::string& hint() const { return hint_; }

 private:
  int exit_code_;
  std::string code_;
  std::string hint_;
};

/// A usage mistake caught after parsing (bad flag value, missing --yes): exit 2.
inline CliError UsageError(const std::string& message, std::string hint = {}) {
  return CliError(kExitUsage, "usage", message, std::move(hint));
}

/// Exit code for an HTTP status: 2xx 0, 404 3, 401/403 4, 409/422 5, 429 7, else 1.
int ExitCodeForStatus(int status);

}  // namespace flare::cli
