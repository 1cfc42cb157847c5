#include "flare/version.h"
#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"

namespace flare::daemon {

void AddHealthRoutes(Router& router) {
  router.Add("GET", "/healthz", "", [](RequestContext&, httplib::Response& response) {
    SendJson(response, 200, {{"status", "ok"}, {"version", kVersion}});
  });
}

}  // namespace flare::daemon
