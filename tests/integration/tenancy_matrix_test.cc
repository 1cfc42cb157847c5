// The tenancy and scope matrices, generated from flared's own route table
// (`flared --print-routes`), so routes added later are covered without editing this file —
// a route over a resource this file cannot make an object of fails the test until one is
// added to ObjectsOfProjectA.
//
// Tenancy (SPEC §1): every route with an id, called with another project's API key or
// session token on this project's object, answers 404 exactly as for a missing id (status,
// code, and the message once the id is blanked out), and changes nothing.
// Scopes: a jobs:read key gets 403 naming the missing scope on every route that needs more.

#include <map>
#include <sstream>

#include "tests/integration/accounts_helpers.h"

namespace flare::testing {
namespace {

struct Route {
  std::string method, pattern, scope;
};

std::vector<Route> RouteTable() {
  TempDir dir;
  CommandResult printed = RunProgram(FLARED_PATH, {"--listen", "127.0.0.1:0", "--data-dir",
                                                   dir.path().string(), "--print-routes"});
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  std::vector<Route> routes;
  std::istringstream lines(printed.out);
  for (std::string line; std::getline(lines, line);) {
    json route = json::parse(line);
    routes.push_back({route["method"], route["pattern"], route["scope"]});
  }
  return routes;
}

/// "/flare/v1/jobs/{id}/cancel" → "/flare/v1/jobs" (the collection the id belongs to).
std::string Collection(const std::string& pattern) {
  size_t brace = pattern.find('{');
  return brace == std::string::npos ? "" : pattern.substr(0, brace - 1);
}

std::string Fill(const std::string& pattern, const std::string& id) {
  std::string path = pattern;
  size_t open = path.find('{');
  path.replace(open, path.find('}', open) - open + 1, id);
  return path;
}

/// A well-formed id of the same kind that names nothing.
std::string MissingLike(const std::string& id) {
  return id.substr(0, id.find('_')) + "_00000000000000000000000000";
}

std::string Blanked(const HttpReply& reply, const std::string& id) {
  std::string message = reply.json()["error"].value("message", "");
  for (size_t at; (at = message.find(id)) != std::string::npos;)
    message.replace(at, id.size(), "<id>");
  return message;
}

// A body the route would accept from its owner, so validation cannot answer before the
// lookup does (PATCH needs at least one field to change).
json BodyFor(const std::string& method) {
  if (method == "GET" || method == "DELETE") return nullptr;
  if (method == "PATCH") return {{"description", "tenancy probe"}};
  return json::object();
}

class TenancyMatrix : public ::testing::Test {
 protected:
  // Project A is the default project (admin key); project B is a signed-up user.
  FlaredProcess flared_{{"--password-kdf-iterations", "1000", "--allow-private-targets"}};

  /// One object of project A per collection that has {id} routes.
  std::map<std::string, std::string> ObjectsOfProjectA() {
    std::map<std::string, std::string> ids;
    json job = CreateJob(flared_, JobBody(Unique("tenancy")));
    ids["/flare/v1/jobs"] = job.value("id", "");
    HttpReply run = flared_.Call("POST", "/flare/v1/jobs/" + ids["/flare/v1/jobs"] + "/trigger");
    EXPECT_EQ(run.status, 201) << run.body;
    ids["/flare/v1/runs"] = run.json().value("id", "");
    ids["/flare/v1/api-keys"] = CreateKey(flared_, {"jobs:read"}).value("id", "");
    // Webhooks (another part of SPEC §7): a loopback receiver that is never sent to, since
    // no event it subscribes to happens here.
    HttpReply hook =
        flared_.Call("POST", "/flare/v1/webhooks",
                     {{"url", "http://127.0.0.1:9/hook"}, {"events", {"job.completed"}}});
    if (hook.status == 201) ids["/flare/v1/webhooks"] = hook.json().value("id", "");
    return ids;
  }
};

TEST_F(TenancyMatrix, EveryRouteWithAnIdAnswersAnotherProjectsObjectExactlyAsAMissingOne) {
  std::vector<Route> routes = RouteTable();
  ASSERT_GE(routes.size(), 20u);
  auto ids = ObjectsOfProjectA();
  json before = GetJob(flared_, ids["/flare/v1/jobs"]);

  Signup(flared_, "tenant-b@example.com");
  std::string session = Login(flared_, "tenant-b@example.com");
  std::string key_b = CreateKey(flared_, {"admin"}, session).value("key", "");
  int checked = 0;
  for (const Route& route : routes) {
    std::string collection = Collection(route.pattern);
    if (collection.empty()) continue;
    auto object = ids.find(collection);
    if (object == ids.end()) {
      ADD_FAILURE() << route.method << " " << route.pattern
                    << ": no object of project A to probe; add one to ObjectsOfProjectA";
      continue;
    }
    const std::string& id = object->second;
    std::string missing_id = MissingLike(id);
    for (const std::string& credential : {session, key_b}) {
      HttpReply foreign =
          flared_.Call(route.method, Fill(route.pattern, id), BodyFor(route.method), credential);
      HttpReply missing = flared_.Call(route.method, Fill(route.pattern, missing_id),
                                       BodyFor(route.method), credential);
      std::string where = route.method + " " + route.pattern;
      EXPECT_EQ(foreign.status, 404) << where << ": " << foreign.body;
      EXPECT_EQ(missing.status, 404) << where << ": " << missing.body;
      EXPECT_EQ(foreign.json()["error"]["code"], missing.json()["error"]["code"]) << where;
      EXPECT_EQ(Blanked(foreign, id), Blanked(missing, missing_id)) << where;
      EXPECT_EQ(foreign.json()["error"].contains("field"),
                missing.json()["error"].contains("field"))
          << where;
      ++checked;
    }
  }
  EXPECT_GE(checked, 2 * 8);
  // Nothing of project A moved.
  json after = GetJob(flared_, ids["/flare/v1/jobs"]);
  EXPECT_EQ(after["state"], before["state"]);
  EXPECT_EQ(after["version"], before["version"]);
  EXPECT_TRUE(after["deleted_at"].is_null());
  EXPECT_EQ(flared_.Call("GET", "/flare/v1/runs/" + ids["/flare/v1/runs"]).json()["state"],
            "pending");
  json keys = flared_.Call("GET", "/flare/v1/api-keys").json();
  for (const auto& key : keys["data"]) {
    if (key["id"] == ids["/flare/v1/api-keys"]) {
      EXPECT_TRUE(key["revoked_at"].is_null());
    }
  }
}

TEST_F(TenancyMatrix, AReadOnlyKeyGets403NamingTheScopeOnEveryRouteThatNeedsMore) {
  std::vector<Route> routes = RouteTable();
  auto ids = ObjectsOfProjectA();
  std::string read_key = CreateKey(flared_, {"jobs:read"}).value("key", "");
  int checked = 0;
  for (const Route& route : routes) {
    if (route.scope.empty() || route.scope == "any" || route.scope == "jobs:read") continue;
    std::string path = route.pattern;
    if (std::string collection = Collection(path); !collection.empty()) {
      path = Fill(path, ids.count(collection) ? ids[collection] : "x_00000000000000000000000000");
    }
    HttpReply reply = flared_.Call(route.method, path, BodyFor(route.method), read_key);
    std::string where = route.method + " " + route.pattern;
    ASSERT_TRUE(IsError(reply, 403, "forbidden")) << where << ": " << reply.body;
    EXPECT_NE(reply.json()["error"]["message"].get<std::string>().find("'" + route.scope + "'"),
              std::string::npos)
        << where;
    ++checked;
  }
  EXPECT_GE(checked, 10);
  EXPECT_EQ(GetJob(flared_, ids["/flare/v1/jobs"])["state"], "pending");
}

}  // namespace
}  // namespace flare::testing
