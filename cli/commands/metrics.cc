// `flarectl metrics …`: the project's run counts, success rate and latency percentiles
// (summary), created/succeeded/failed per time bucket (throughput), and queue depths.

#include "cli/commands/command.h"

namespace flare::cli {
namespace {

const char* kMetrics = "/flare/v1/metrics";

const std::vector<Column> kSummaryColumns = {
    {"period", "period"},
    {"from", "from", CellKind::kTime},
    {"created", "counts.created"},
    {"succeeded", "counts.succeeded"},
    {"failed", "counts.failed"},
    {"retried", "counts.retried"},
    {"cancelled", "counts.cancelled"},
    {"success_rate", "success_rate"},
    {"pending", "current.pending"},
    {"scheduled", "current.scheduled"},
    {"processing", "current.processing"},
    {"retrying", "current.retrying"},
    {"duration_ms p50", "duration_ms.p50"},
    {"duration_ms p95", "duration_ms.p95"},
    {"duration_ms p99", "duration_ms.p99"},
    {"queue_wait_ms p50", "queue_wait_ms.p50"},
    {"queue_wait_ms p95", "queue_wait_ms.p95"},
    {"queue_wait_ms p99", "queue_wait_ms.p99"},
    {"http_target_ms p50", "http_target_ms.p50"},
    {"http_target_ms p95", "http_target_ms.p95"},
    {"http_target_ms p99", "http_target_ms.p99"},
};

const std::vector<Column> kThroughputColumns = {
    {"START", "start", CellKind::kTime},
    {"CREATED", "created"},
    {"SUCCEEDED", "succeeded"},
    {"FAILED", "failed"},
};

const std::vector<Column> kQueueColumns = {
    {"QUEUE", "queue"},           {"PENDING", "pending"},   {"SCHEDULED", "scheduled"},
    {"PROCESSING", "processing"}, {"RETRYING", "retrying"},
};

const char* kPeriodHelp = "1h, 24h (default), 7d or 30d";

void AddSummary(CLI::App& metrics, Context& ctx) {
  auto* cmd = metrics.add_subcommand("summary", "Counts, success rate, p50/p95/p99 latencies");
  auto period = std::make_shared<std::string>();
  cmd->add_option("--period", *period, kPeriodHelp);
  OnRun(cmd, ctx, [&ctx, period] {
    Query query;
    if (!period->empty()) query.emplace_back("period", *period);
    ctx.printer().Object(ctx.api().Call("GET", std::string(kMetrics) + "/summary", nullptr, query),
                         kSummaryColumns);
    return kExitOk;
  });
}

void AddThroughput(CLI::App& metrics, Context& ctx) {
  auto* cmd = metrics.add_subcommand("throughput", "Runs created/succeeded/failed per bucket");
  struct Args {
    std::string period, granularity;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--period", args->period, kPeriodHelp);
  cmd->add_option("--granularity", args->granularity, "1m, 5m, 1h (default) or 1d");
  OnRun(cmd, ctx, [&ctx, args] {
    Query query;
    if (!args->period.empty()) query.emplace_back("period", args->period);
    if (!args->granularity.empty()) query.emplace_back("granularity", args->granularity);
    ctx.printer().List(ctx.api().Call("GET", std::string(kMetrics) + "/throughput", nullptr, query),
                       kThroughputColumns);
    return kExitOk;
  });
}

void AddQueues(CLI::App& metrics, Context& ctx) {
  auto* cmd = metrics.add_subcommand("queues", "Runs pending, scheduled, processing per queue");
  OnRun(cmd, ctx, [&ctx] {
    ctx.printer().List(ctx.api().Call("GET", std::string(kMetrics) + "/queues"), kQueueColumns);
    return kExitOk;
  });
}

}  // namespace

void AddMetricsCommands(CLI::App& metrics, Context& ctx) {
  AddSummary(metrics, ctx);
  AddThroughput(metrics, ctx);
  AddQueues(metrics, ctx);
}

}  // namespace flare::cli
