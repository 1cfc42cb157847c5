// GET /flare/v1/jobs/export and GET /flare/v1/runs/export: streamed with chunked transfer
// encoding, one keyset page per turn of cpp-httplib's content provider (the next page is read
// meanwhile, see export_prefetch.h), so memory stays flat and the response starts at once. When
// flared stops mid-export the response ends without its last chunk: the client sees an incomplete
// transfer, never a short file that looks whole.

#include <algorithm>

#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/service/export_prefetch.h"

namespace flare::daemon {
namespace {

std::optional<std::string> Param(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) return std::nullopt;
  return request.get_param_value(name);
}

void Export(ExportService& exports, ExportKind kind, RequestContext& ctx,
            httplib::Response& response) {
  ExportQuery query{Param(ctx.request, "from"), Param(ctx.request, "until"),
                    Param(ctx.request, "format")};
  std::chrono::seconds retry_after{0};
  auto started = exports.Start(ctx.principal.project_id, kind, query, retry_after);
  if (!started) {
    if (retry_after.count() > 0)
      response.set_header("Retry-After", std::to_string(retry_after.count()));
    return SendError(response, started.error());
  }
  struct State {
    explicit State(std::unique_ptr<ExportCursor> cursor) : pages(std::move(cursor)) {}
    ExportPrefetcher pages;  // reads the next page while this one is sent
    std::string page;        // reused: its capacity stays, so no page allocates anew
  };
  auto state = std::make_shared<State>(std::move(started->cursor));
  response.status = 200;
  response.set_header("Content-Disposition", "attachment; filename=\"" + started->filename + "\"");
  response.set_chunked_content_provider(
      started->content_type, [state](size_t, httplib::DataSink& sink) {
        if (!state->pages.Next(state->page)) {
          sink.done();
          return true;
        }
        // cpp-httplib copies each write into a chunk of its own: small chunks keep those
        // copies in reused memory instead of a fresh megabyte (and its page faults) a page.
        constexpr size_t kChunk = 64 * 1024;
        for (size_t at = 0; at < state->page.size(); at += kChunk) {
          if (!sink.write(state->page.data() + at, std::min(kChunk, state->page.size() - at)))
            return false;
        }
        return true;
      });
}

}  // namespace

void AddExportRoutes(Router& router, ExportService& exports) {
  router.Add("GET", "/flare/v1/jobs/export", kScopeJobsRead,
             [&exports](RequestContext& c, httplib::Response& r) {
               Export(exports, ExportKind::kJobs, c, r);
             });
  router.Add("GET", "/flare/v1/runs/export", kScopeJobsRead,
             [&exports](RequestContext& c, httplib::Response& r) {
               Export(exports, ExportKind::kRuns, c, r);
             });
}

}  // namespace flare::daemon
