// GET /flare/v1/jobs/export and GET /flare/v1/runs/export: streamed with chunked transfer
// encoding, one keyset page per turn of cpp-httplib's content provider, so memory stays
// flat and the response starts at once. When flared stops mid-export the response ends
// without its last chunk: the client sees an incomplete transfer, never a short file that
// looks whole.

#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/service/export_service.h"

namespace flare::daemon {
namespace {

constexpr const char* kRead = "jobs:read";

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
  std::shared_ptr<ExportCursor> cursor = std::move(started->cursor);
  response.status = 200;
  response.set_header("Content-Disposition", "attachment; filename=\"" + started->filename + "\"");
  response.set_chunked_content_provider(started->content_type,
                                        [cursor](size_t, httplib::DataSink& sink) {
                                          std::string chunk;
                                          if (!cursor->Next(chunk)) {
                                            sink.done();
                                            return true;
                                          }
                                          return sink.write(chunk.data(), chunk.size());
                                        });
}

}  // namespace

void AddExportRoutes(Router& router, ExportService& exports) {
  router.Add("GET", "/flare/v1/jobs/export", kRead,
             [&exports](RequestContext& c, httplib::Response& r) {
               Export(exports, ExportKind::kJobs, c, r);
             });
  router.Add("GET", "/flare/v1/runs/export", kRead,
             [&exports](RequestContext& c, httplib::Response& r) {
               Export(exports, ExportKind::kRuns, c, r);
             });
}

}  // namespace flare::daemon
