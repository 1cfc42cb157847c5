#pragma once
// Routes by splitting the path into segments and comparing with each pattern ("{id}"
// captures one segment). cpp-httplib's own routing runs a std::regex per route per request,
// which costs more than most of flared's handlers; this also lets a known path with the
// wrong method answer 405 instead of 404.

#include <httplib.h>

#include <functional>
#include <string>
#include <vector>

#include "daemon/api/auth.h"

namespace flare::daemon {

struct RequestContext {
  const httplib::Request& request;
  Principal principal;
  std::vector<std::string> params;  // captured {…} segments, in order
};

using RouteHandler = std::function<void(RequestContext&, httplib::Response&)>;
/// Reads the request body into its argument, or says why it cannot (413 past 2 MiB).
using BodyReader = std::function<Status(std::string&)>;

/// One route as registered: what `flared --print-routes` lists for the tenancy tests.
struct RouteInfo {
  std::string method;
  std::string pattern;  // "/flare/v1/jobs/{id}"
  std::string scope;    // "" = public
};

class Router {
 public:
  explicit Router(Authenticator& auth) : auth_(auth) {}

  /// `scope` empty = public route (no Authorization needed).
  void Add(const std::string& method, const std::string& pattern, std::string scope,
           RouteHandler handler);
  /// The same for a route whose effect is made by writes on the request's thread (a create,
  /// an ack, a poll's claims). Where the database answers for every credential, a key this
  /// node read before is not read again: each such write confirms it in its own transaction
  /// (store/transactions.h, KeyToConfirm), and a request that ends without one has its key
  /// read before its answer goes out, which is replaced by the 401 if the key is gone.
  void AddKeyConfirmedByWrite(const std::string& method, const std::string& pattern,
                              std::string scope, RouteHandler handler);
  /// Routes `request`. With `read_body`, the body is read only once the route is known and
  /// the key authenticated, so an unknown client never gets to send a body at all.
  void Dispatch(const httplib::Request& request, httplib::Response& response,
                const BodyReader& read_body = {}) const;
  /// Every route, in the order added.
  std::vector<RouteInfo> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    std::string scope;
    RouteHandler handler;
    bool key_confirmed_by_write = false;
  };
  /// Reads the body (with `read_body`) and runs the route's handler.
  static void Run(const Route& route, const httplib::Request& request, httplib::Response& response,
                  const BodyReader& read_body, Principal principal,
                  std::vector<std::string> params);
  /// Runs a route added with AddKeyConfirmedByWrite on a key this node remembers.
  void RunConfirmingKey(const Route& route, const httplib::Request& request,
                        httplib::Response& response, const BodyReader& read_body,
                        std::pair<Principal, std::string> remembered,
                        std::vector<std::string> params) const;
  static bool Match(const Route& route, const std::vector<std::string_view>& path,
                    std::vector<std::string>& params);

  Authenticator& auth_;
  std::vector<Route> routes_;
};

}  // namespace flare::daemon
