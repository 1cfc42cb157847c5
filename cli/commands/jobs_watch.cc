#include "cli/commands/jobs_watch.h"

#include <algorithm>
#include <thread>

#include "cli/commands/command.h"
#include "cli/sse.h"
#include "common/run_state.h"

namespace flare::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::chrono::seconds kLongestStream{130};  // the server closes at 120 s

const std::vector<Column> kSnapshot = {{"STATE", "state", CellKind::kState},
                                       {"PROGRESS", "progress", CellKind::kProgress},
                                       {"ATTEMPT", "attempt"},
                                       {"MAX", "max_attempts"}};

const std::vector<Column> kEventList = {{"AT", "at", CellKind::kTime},
                                        {"TYPE", "type"},
                                        {"RUN", "run_id"},
                                        {"ATTEMPT", "attempt"},
                                        {"DETAILS", "details", CellKind::kJson}};

nlohmann::json SnapshotOf(const nlohmann::json& job) {
  return {{"state", job.value("state", "")},
          {"progress", job.contains("progress") ? job["progress"] : nullptr},
          {"attempt", job.value("attempt", 0)},
          {"max_attempts", job.value("max_attempts", 0)}};
}

/// One SSE connection; true when a terminal snapshot arrived. `got_any` tells whether the
/// server streamed snapshots at all.
bool StreamOnce(Context& ctx, const std::string& id, SteadyClock::time_point deadline,
                const std::function<void(const nlohmann::json&)>& on_snapshot, bool& got_any) {
  bool terminal = false;
  SseParser parser([&](const SseEvent& event) {
    if (event.event != "snapshot") return;
    auto snapshot = nlohmann::json::parse(event.data, nullptr, /*allow_exceptions=*/false);
    if (!snapshot.is_object()) return;
    got_any = true;
    on_snapshot(snapshot);
    terminal = IsTerminalState(snapshot.value("state", ""));
  });
  HttpRequest request;
  request.path = ItemPath(kJobsPath, id) + "/events";
  request.headers = {{"Accept", "text/event-stream"}};
  auto remaining = std::chrono::ceil<std::chrono::seconds>(deadline - SteadyClock::now());
  request.read_timeout = std::clamp(remaining, std::chrono::seconds(1), kLongestStream);
  auto response = ctx.api().Stream(request, [&](std::string_view chunk) {
    parser.Feed(chunk);
    return !terminal;
  });
  if (!response.ok()) throw ctx.api().Unreachable(response.error().message);
  if (response->status >= 300) throw ErrorFromResponse(*response);
  return terminal;
}

}  // namespace

bool IsTerminalState(const std::string& state) {
  // A state this flarectl does not know (a newer flared's) is not one to stop watching at.
  std::optional<RunState> known = ParseRunState(state);
  return known && IsTerminal(*known);
}

int WaitExitCode(const std::string& state) {
  std::optional<RunState> known = ParseRunState(state);
  if (known == RunState::kSucceeded) return kExitOk;
  if (known == RunState::kCancelled) return kExitWaitCancelled;
  return kExitWaitFailed;
}

std::optional<nlohmann::json> FollowJob(
    Context& ctx, const std::string& id, SteadyClock::time_point deadline,
    const std::function<void(const nlohmann::json&)>& on_snapshot) {
  nlohmann::json last;
  auto deduplicated = [&](const nlohmann::json& snapshot) {
    if (snapshot == last) return;
    last = snapshot;
    on_snapshot(snapshot);
  };
  while (SteadyClock::now() < deadline) {
    bool got_any = false;
    if (StreamOnce(ctx, id, deadline, deduplicated, got_any)) return last;
    if (got_any) continue;  // the 120 s close: reconnect
    // No SSE here: poll the job itself.
    deduplicated(SnapshotOf(ctx.api().Call("GET", ItemPath(kJobsPath, id))));
    if (IsTerminalState(last.value("state", ""))) return last;
    auto pause =
        std::min<SteadyClock::duration>(std::chrono::seconds(1), deadline - SteadyClock::now());
    if (pause > SteadyClock::duration::zero()) std::this_thread::sleep_for(pause);
  }
  return std::nullopt;
}

void AddJobEventsCommand(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("events", "A job's event history, or --follow its state");
  struct Args {
    std::string id;
    bool follow = false;
    PageOptions page;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("id", args->id, "Job id or slug")->required();
  cmd->add_flag("-f,--follow", args->follow, "Stream state snapshots until the job finishes");
  AddPageFlags(cmd, args->page);
  OnRun(cmd, ctx, [&ctx, args] {
    if (!args->follow) {
      return PrintList(ctx, ItemPath(kJobsPath, args->id) + "/events", {}, args->page, kEventList);
    }
    Printer printer = ctx.printer();
    auto forever = SteadyClock::now() + std::chrono::hours(24 * 365);
    FollowJob(ctx, args->id, forever,
              [&](const nlohmann::json& snapshot) { printer.StreamItem(snapshot, kSnapshot); });
    return kExitOk;
  });
}

void AddJobWaitCommand(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand(
      "wait", "Wait until a job finishes: exit 0 succeeded, 10 failed, 11 cancelled, 12 timeout");
  struct Args {
    std::string id;
    std::string timeout = "5m";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("id", args->id, "Job id or slug")->required();
  cmd->add_option("--timeout", args->timeout, "Give up after this long (default 5m)");
  OnRun(cmd, ctx, [&ctx, args] {
    auto limit = ParseDuration(args->timeout);
    if (!limit.ok()) throw UsageError("--timeout wants a duration like 90s or 5m");
    auto final_state = FollowJob(ctx, args->id, SteadyClock::now() + *limit, [&](const auto& snap) {
      ctx.Progress("state: " + snap.value("state", "?"));
    });
    if (!final_state) {
      throw CliError(kExitWaitTimedOut, "wait_timeout",
                     "job " + args->id + " did not finish within " + args->timeout);
    }
    auto job = ctx.api().Call("GET", ItemPath(kJobsPath, args->id));
    if (ctx.settings().output == OutputFormat::kTable) {
      ctx.io().out() << job.value("id", args->id) << '\t' << job.value("state", "") << '\n';
    } else {
      ctx.printer().Object(job, {});
    }
    return WaitExitCode(job.value("state", final_state->value("state", "")));
  });
}

}  // namespace flare::cli
