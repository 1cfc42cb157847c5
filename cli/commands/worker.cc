// `flarectl worker run --queue Q [--type T]… [--concurrency N] -- CMD ARGS…`: a ready worker
// (see cli/worker_runner.h for the loop). SIGINT/SIGTERM only write a byte to the runner's
// control pipe; the runner decides what a first and a second interruption mean.

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "cli/child_process.h"
#include "cli/commands/command.h"
#include "cli/worker_runner.h"

namespace flare::cli {
namespace {

std::atomic<int> g_stop_fd{-1};

void OnSignal(int) {
  int fd = g_stop_fd.load();
  if (fd >= 0) (void)!write(fd, "S", 1);
}

void InstallSignalHandlers(int fd) {
  g_stop_fd = fd;
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

constexpr const char* kRunHelp =
    "Run CMD once per claimed job: payload JSON on stdin; env FLARE_JOB_ID FLARE_RUN_ID "
    "FLARE_ATTEMPT FLARE_MAX_ATTEMPTS FLARE_JOB_TYPE FLARE_QUEUE FLARE_LEASE_ID; exit 0 = "
    "succeeded, else failed with the exit status or signal and the stderr tail; a stdout "
    "line '::progress 0.5' reports progress; other output goes to stderr prefixed with the "
    "job id; jobs that end together are acked in one list ack; a command that cannot be "
    "executed stops the worker before it registers";

}  // namespace

void AddWorkerCommands(CLI::App& worker, Context& ctx) {
  auto* cmd = worker.add_subcommand("run", kRunHelp);
  auto options = std::make_shared<WorkerOptions>();
  options->identity.worker_id = DefaultWorkerId();
  // One value per flag: a list option would otherwise swallow the `--` before CMD, and CMD's
  // own flags (`-- sh -c …`) would be parsed as flarectl's.
  cmd->add_option("--queue", options->identity.queues, "Queue to take jobs from (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--type,--job-type", options->identity.job_types,
                  "Only these job types (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--concurrency", options->concurrency, "Jobs run at once (default 1)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--worker-id", options->identity.worker_id, "Worker id (default <host>-<pid>)");
  cmd->add_option("--wait", options->wait_seconds, "Long-poll seconds (default 25)")
      ->check(CLI::Range(0, 60));
  cmd->add_option("command", options->command, "-- CMD ARGS… run for each job")->required();
  OnRun(cmd, ctx, [&ctx, options] {
    options->quiet = ctx.flags().quiet;
    // Refuse before registering: a worker that cannot start CMD would claim jobs only to
    // fail every one of them.
    auto found = FindExecutable(options->command.front());
    if (!found.ok()) {
      throw CliError(kExitUsage, "cannot_run", found.error().message,
                     "the command after -- must exist and be executable (PATH is searched)");
    }
    WorkerRunner runner(*options, ctx.NewApiClient(), ctx.NewApiClient(), ctx.io());
    InstallSignalHandlers(runner.stop_fd());
    int code = runner.Run();
    g_stop_fd = -1;
    return code;
  });
}

}  // namespace flare::cli
