#include "daemon/api/router.h"

#include "daemon/api/http_util.h"

namespace flare::daemon {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end;
  }
  return parts;
}

}  // namespace

void Router::Add(const std::string& method, const std::string& pattern, std::string scope,
                 RouteHandler handler) {
  std::vector<std::string> segments;
  for (auto part : SplitPath(pattern)) segments.emplace_back(part);
  routes_.push_back({method, pattern, std::move(segments), std::move(scope), std::move(handler)});
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> routes;
  for (const auto& route : routes_) routes.push_back({route.method, route.pattern, route.scope});
  return routes;
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& path,
                   std::vector<std::string>& params) {
  if (route.segments.size() != path.size()) return false;
  params.clear();
  for (size_t i = 0; i < path.size(); ++i) {
    const auto& segment = route.segments[i];
    if (!segment.empty() && segment.front() == '{') {
      params.push_back(httplib::detail::decode_url(std::string(path[i]), false));
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

void Router::Dispatch(const httplib::Request& request, httplib::Response& response,
                      const BodyReader& read_body) const {
  if (auto text = CheckRequestText(request); !text) return SendError(response, text.error());
  auto path = SplitPath(request.path);
  std::vector<std::string> params;
  bool path_known = false;
  // The most specific route wins: "/jobs/export" before "/jobs/{id}", whatever the order
  // the routes were added in.
  const Route* best = nullptr;
  size_t best_captures = SIZE_MAX;
  for (const auto& route : routes_) {
    if (!Match(route, path, params)) continue;
    path_known = true;
    if (route.method != request.method || params.size() >= best_captures) continue;
    best = &route;
    best_captures = params.size();
  }
  if (best) {
    const Route& route = *best;
    Match(route, path, params);
    for (const auto& param : params) {
      if (!IsValidUtf8(param)) {
        return SendError(response, InvalidRequest("the request path is not valid UTF-8; "
                                                  "percent-encode UTF-8 text"));
      }
    }
    Principal principal;
    if (!route.scope.empty()) {
      auto authenticated = auth_.Authenticate(request, route.scope);
      if (!authenticated) return SendError(response, authenticated.error());
      principal = std::move(*authenticated);
    }
    if (!read_body) {
      RequestContext context{request, std::move(principal), std::move(params)};
      route.handler(context, response);
      return;
    }
    httplib::Request with_body = request;
    if (auto read = read_body(with_body.body); !read) return SendError(response, read.error());
    RequestContext context{with_body, std::move(principal), std::move(params)};
    route.handler(context, response);
    return;
  }
  if (path_known) {
    return SendError(response, Error{ErrorCode::kMethodNotAllowed,
                                     request.method + " is not allowed on " + request.path});
  }
  SendError(response, Error{ErrorCode::kNotFound, "no endpoint " + request.method + " " +
                                                      request.path.substr(0, 200) +
                                                      "; see the API reference"});
}

}  // namespace flare::daemon
