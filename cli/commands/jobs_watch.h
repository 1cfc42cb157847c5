#pragma once
// Watching one job: `jobs events [--follow]` and `jobs wait`. Both follow the SSE snapshot
// stream of GET /flare/v1/jobs/{id}/events (Accept: text/event-stream); the stream closes on a
// terminal state or after 120 s, and then it is reopened. A server that answers without
// snapshots is polled with GET /jobs/{id} instead (once a second), so waiting always works.

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/context.h"

namespace flare::cli {

/// True for succeeded, dead_letter and cancelled (SPEC §3).
bool IsTerminalState(const std::string& state);
/// `jobs wait`'s exit code for a final state: 0, 10 (dead_letter/failed) or 11 (cancelled).
int WaitExitCode(const std::string& state);

/// Follows the job until a terminal state (returns its last snapshot) or `deadline`
/// (returns nullopt). `on_snapshot` sees each new snapshot.
std::optional<nlohmann::json> FollowJob(
    Context& ctx, const std::string& id, std::chrono::steady_clock::time_point deadline,
    const std::function<void(const nlohmann::json&)>& on_snapshot);

void AddJobEventsCommand(CLI::App& jobs, Context& ctx);
void AddJobWaitCommand(CLI::App& jobs, Context& ctx);

}  // namespace flare::cli
