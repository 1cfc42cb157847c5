#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "flare/version.h"

namespace flare::daemon {

void AddHealthRoutes(Router& router) {
  router.Add("GET", "/healthz", "", [](RequestContext&, httplib::Response& response) {
    SendJson(response, 200, {{"status", "ok"}, {"version", kVersion}});
  });
}

}  // namespace flare::daemon
