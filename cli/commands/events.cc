// `flarectl events`: the project event log (GET /flare/v1/events) as a list, or with
// --follow as a live stream (SSE). A dropped connection (flared restarted, network blip) is
// reopened with the id of the last event printed as Last-Event-ID, so nothing is missed and
// nothing printed twice.

#include <algorithm>
#include <thread>

#include "cli/commands/command.h"
#include "cli/sse.h"

namespace flare::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

const char* kEvents = "/flare/v1/events";
// One stream request lasts at most this long, then it is reopened from the last id.
constexpr std::chrono::seconds kStreamRequest{3600};
constexpr std::chrono::seconds kMaxBackoff{5};

const std::vector<Column> kEventColumns = {{"AT", "at", CellKind::kTime},
                                           {"TYPE", "type"},
                                           {"JOB", "job_id"},
                                           {"RUN", "run_id"},
                                           {"ATTEMPT", "attempt"},
                                           {"DETAILS", "details", CellKind::kJson}};

struct EventsArgs {
  bool follow = false;
  std::string job;
  std::string type;
  std::string queue;
  std::string after;
  int count = 0;  // with --follow: stop after this many events (0: never)
  PageOptions page;
};

Query FilterQuery(const EventsArgs& args) {
  Query query;
  if (!args.job.empty()) query.emplace_back("job", args.job);
  if (!args.type.empty()) query.emplace_back("type", args.type);
  if (!args.queue.empty()) query.emplace_back("queue", args.queue);
  return query;
}

// Follows the stream until --count events were printed (or forever).
int Follow(Context& ctx, const EventsArgs& args) {
  Printer printer = ctx.printer();
  std::string last_id = args.after;
  int printed = 0;
  auto backoff = std::chrono::seconds(1);
  bool connected_once = false;
  while (args.count == 0 || printed < args.count) {
    SseParser parser([&](const SseEvent& event) {
      if (args.count > 0 && printed >= args.count) return;
      auto item = nlohmann::json::parse(event.data, nullptr, /*allow_exceptions=*/false);
      if (!item.is_object()) return;
      printer.StreamItem(item, kEventColumns);
      ctx.io().out().flush();
      if (!event.id.empty()) last_id = event.id;
      ++printed;
    });
    HttpRequest request;
    request.path = kEvents;
    request.query = FilterQuery(args);
    request.headers = {{"Accept", "text/event-stream"}};
    if (!last_id.empty()) request.headers.emplace_back("Last-Event-ID", last_id);
    request.read_timeout = kStreamRequest;
    auto response = ctx.api().Stream(request, [&](std::string_view chunk) {
      connected_once = true;
      parser.Feed(chunk);
      return args.count == 0 || printed < args.count;
    });
    if (response.ok() && response->status >= 300) throw ErrorFromResponse(*response);
    if (args.count > 0 && printed >= args.count) break;
    if (!response.ok() && !connected_once) throw ctx.api().Unreachable(response.error().message);
    if (response.ok()) backoff = std::chrono::seconds(1);
    ctx.Progress("stream closed; reconnecting" +
                 (last_id.empty() ? std::string() : " after " + last_id) + "...");
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  return kExitOk;
}

}  // namespace

void AddEventsCommands(CLI::App& events, Context& ctx) {
  auto args = std::make_shared<EventsArgs>();
  events.add_flag("-f,--follow", args->follow, "Stream new events as they happen");
  events.add_option("--job", args->job, "Only events of this job (id or slug)");
  events.add_option("--type", args->type, "Only these event types (comma-separated)");
  events.add_option("--queue", args->queue, "Only events of jobs in this queue");
  events.add_option("--after", args->after,
                    "With --follow: start after this event id instead of now");
  events.add_option("--count", args->count, "With --follow: stop after this many events")
      ->check(CLI::PositiveNumber);
  AddPageFlags(&events, args->page);
  OnRun(&events, ctx, [&ctx, args] {
    if (args->follow) return Follow(ctx, *args);
    return PrintList(ctx, kEvents, FilterQuery(*args), args->page, kEventColumns);
  });
}

}  // namespace flare::cli
