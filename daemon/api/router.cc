#include "daemon/api/router.h"

#include "daemon/api/http_util.h"
#include "daemon/service/key_confirmation.h"

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

void Router::AddKeyConfirmedByWrite(const std::string& method, const std::string& pattern,
                                    std::string scope, RouteHandler handler) {
  Add(method, pattern, std::move(scope), std::move(handler));
  routes_.back().key_confirmed_by_write = true;
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
    if (route.key_confirmed_by_write && auth_.checks_every_request()) {
      if (auto remembered = auth_.RememberedKey(request, route.scope)) {
        return RunConfirmingKey(route, request, response, read_body, std::move(*remembered),
                                std::move(params));
      }
    }
    Principal principal;
    if (!route.scope.empty()) {
      auto authenticated = auth_.Authenticate(request, route.scope);
      if (!authenticated) return SendError(response, authenticated.error());
      principal = std::move(*authenticated);
    }
    return Run(route, request, response, read_body, std::move(principal), std::move(params));
  }
  if (path_known) {
    return SendError(response, Error{ErrorCode::kMethodNotAllowed,
                                     request.method + " is not allowed on " + request.path});
  }
  SendError(response, Error{ErrorCode::kNotFound, "no endpoint " + request.method + " " +
                                                      request.path.substr(0, 200) +
                                                      "; see the API reference"});
}

void Router::Run(const Route& route, const httplib::Request& request, httplib::Response& response,
                 const BodyReader& read_body, Principal principal,
                 std::vector<std::string> params) {
  if (!read_body) {
    RequestContext context{request, std::move(principal), std::move(params)};
    route.handler(context, response);
    return;
  }
  httplib::Request with_body = request;
  if (auto read = read_body(with_body.body); !read) return SendError(response, read.error());
  RequestContext context{with_body, std::move(principal), std::move(params)};
  route.handler(context, response);
}

void Router::RunConfirmingKey(const Route& route, const httplib::Request& request,
                              httplib::Response& response, const BodyReader& read_body,
                              std::pair<Principal, std::string> remembered,
                              std::vector<std::string> params) const {
  auto& [principal, key_hash] = remembered;
  ConfirmKeyInWrites confirm(key_hash);
  Run(route, request, response, read_body, std::move(principal), std::move(params));
  if (confirm.refused()) {
    auth_.RemoveKey(key_hash);  // its write answered 401; the next request reads the key
    return;
  }
  if (confirm.confirmed()) return;
  // Nothing confirmed the key (the request was refused before its write, or needed none):
  // the database answers for it before the answer goes out.
  if (auto checked = auth_.Authenticate(request, route.scope); !checked) {
    auth_.RemoveKey(key_hash);
    response = httplib::Response();
    SendError(response, checked.error());
  }
}

}  // namespace flare::daemon
