// API keys (SPEC §7, seed 001): the key is shown once, lists never show it, a revoked key
// fails on the very next request, a read-only key cannot write (403 naming the scope), the
// default project's last admin key cannot be revoked into a lock-out, and last_used_at is
// kept without a write per request (flushed at stop).

#include "tests/integration/accounts_helpers.h"

namespace flare::testing {
namespace {

class ApiKeys : public FlaredSuite {};

json FindKey(const json& page, const std::string& id) {
  for (const auto& item : page["data"]) {
    if (item.value("id", "") == id) return item;
  }
  return nullptr;
}

TEST_F(ApiKeys, TheKeyIsShownOnceAndListsShowOnlyItsPrefix) {
  json created = CreateKey(flared(), {"jobs:read", "workers"});
  std::string key = created.value("key", "");
  ASSERT_EQ(key.rfind("flare_sk_", 0), 0u) << created.dump();
  EXPECT_TRUE(IsPrefixedId(created.value("id", ""), "key"));
  EXPECT_EQ(created["prefix"], key.substr(0, 13));
  EXPECT_EQ(created["scopes"], json({"jobs:read", "workers"}));
  EXPECT_TRUE(created["revoked_at"].is_null());

  HttpReply list = flared().Call("GET", "/flare/v1/api-keys");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(key), std::string::npos);
  json item = FindKey(list.json(), created["id"]);
  ASSERT_TRUE(item.is_object());
  EXPECT_FALSE(item.contains("key"));
  EXPECT_FALSE(item.contains("key_hash"));
  EXPECT_TRUE(item["last_used_at"].is_null());
  EXPECT_TRUE(IsUtcMillis(item.value("created_at", "")));

  ASSERT_EQ(flared().Call("GET", "/flare/v1/jobs", nullptr, key).status, 200);
  json used = FindKey(flared().Call("GET", "/flare/v1/api-keys").json(), created["id"]);
  EXPECT_TRUE(IsUtcMillis(used.value("last_used_at", ""))) << used.dump();
}

TEST_F(ApiKeys, CreateRefusesUnknownScopesAndMissingFieldsNamingTheField) {
  auto create = [&](const json& body) { return flared().Call("POST", "/flare/v1/api-keys", body); };
  EXPECT_TRUE(IsError(create({{"name", "x"}, {"scopes", {"jobs:delete"}}}), 400, "invalid_request",
                      "scopes"));
  EXPECT_TRUE(IsError(create({{"name", "x"}, {"scopes", json::array()}}), 400, "invalid_request",
                      "scopes"));
  EXPECT_TRUE(IsError(create({{"scopes", {"admin"}}}), 400, "invalid_request", "name"));
  EXPECT_TRUE(IsError(create({{"name", "x"}, {"scopes", {"admin"}}, {"scope", "admin"}}), 400,
                      "invalid_request"));
}

TEST_F(ApiKeys, ARevokedKeyFailsOnTheVeryNextRequest) {
  for (int i = 0; i < 10; ++i) {
    json created = CreateKey(flared(), {"jobs:write"});
    std::string key = created.value("key", "");
    ASSERT_EQ(flared().Call("GET", "/flare/v1/jobs", nullptr, key).status, 200);
    HttpReply revoked = flared().Call("DELETE", "/flare/v1/api-keys/" + created.value("id", ""));
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_TRUE(IsUtcMillis(revoked.json().value("revoked_at", "")));
    EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs", nullptr, key), 401, "unauthorized"))
        << "attempt " << i;
  }
}

TEST_F(ApiKeys, AReadOnlyKeyCannotWriteAndIsToldWhichScopeItLacks) {
  std::string key = CreateKey(flared(), {"jobs:read"}).value("key", "");
  HttpReply write = flared().Call("POST", "/flare/v1/jobs", JobBody(Unique("q")), key);
  ASSERT_TRUE(IsError(write, 403, "forbidden"));
  EXPECT_NE(write.json()["error"]["message"].get<std::string>().find("jobs:write"),
            std::string::npos);
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/api-keys", nullptr, key), 403, "forbidden"));
  EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs", nullptr, key).status, 200);
}

TEST_F(ApiKeys, RevokingAnUnknownOrForeignKeyIs404) {
  EXPECT_TRUE(IsError(flared().Call("DELETE", "/flare/v1/api-keys/key_00000000000000000000000000"),
                      404, "not_found"));
}

TEST(ApiKeysLockout, TheDefaultProjectsLastAdminKeyCannotBeRevoked) {
  FlaredProcess flared;
  json keys = flared.Call("GET", "/flare/v1/api-keys").json();
  ASSERT_EQ(keys["data"].size(), 1u);
  std::string first = keys["data"][0]["id"];
  HttpReply refused = flared.Call("DELETE", "/flare/v1/api-keys/" + first);
  ASSERT_TRUE(IsError(refused, 409, "conflict"));
  EXPECT_EQ(flared.Call("GET", "/flare/v1/jobs").status, 200);  // still works
  std::string second = CreateKey(flared, {"admin"}).value("key", "");
  EXPECT_EQ(flared.Call("DELETE", "/flare/v1/api-keys/" + first).status, 200);
  EXPECT_TRUE(IsError(flared.Call("GET", "/flare/v1/jobs"), 401, "unauthorized"));
  EXPECT_EQ(flared.Call("GET", "/flare/v1/jobs", nullptr, second).status, 200);
}

TEST(ApiKeysLockout, ASignedUpOwnerMayRevokeEveryKeyAndStillLogIn) {
  FlaredProcess flared(kCheapKdf);
  Signup(flared, "owner@example.com");
  std::string token = Login(flared, "owner@example.com");
  json key = CreateKey(flared, {"admin"}, token);
  EXPECT_EQ(
      flared.Call("DELETE", "/flare/v1/api-keys/" + key.value("id", ""), nullptr, token).status,
      200);
  EXPECT_EQ(
      flared.Call("GET", "/flare/v1/jobs", nullptr, Login(flared, "owner@example.com")).status,
      200);
}

TEST(ApiKeysUsage, LastUsedIsWrittenAtStopAndReadBackAfterARestart) {
  FlaredProcess flared;
  json created = CreateKey(flared, {"jobs:read"});
  ASSERT_EQ(flared.Call("GET", "/flare/v1/jobs", nullptr, created.value("key", "")).status, 200);
  ASSERT_EQ(flared.Stop(), 0);  // SIGTERM: the flusher writes what it noted
  flared.Restart();
  json item = FindKey(flared.Call("GET", "/flare/v1/api-keys").json(), created["id"]);
  EXPECT_TRUE(IsUtcMillis(item.value("last_used_at", ""))) << item.dump();
}

TEST_F(ApiKeys, FlarectlCreatesListsAndRevokesWithConfirmation) {
  CommandResult created = flared().Flarectl({"-o", "json", "api-keys", "create", "--name", "cli",
                                             "--scope", "jobs:read", "--scope", "workers"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  json key = json::parse(created.out);
  EXPECT_EQ(key.value("key", "").rfind("flare_sk_", 0), 0u);
  CommandResult list = flared().Flarectl({"-o", "json", "api-keys", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find(key.value("key", "")), std::string::npos);
  EXPECT_TRUE(FindKey(json::parse(list.out), key["id"]).is_object());
  CommandResult unconfirmed = flared().Flarectl({"api-keys", "revoke", key["id"]});
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs", nullptr, key["key"]).status, 200);
  CommandResult revoked = flared().Flarectl({"api-keys", "revoke", key["id"], "--yes"});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs", nullptr, key["key"]).status, 401);
  EXPECT_NE(flared().Flarectl({"api-keys", "create", "--name", "x", "--scope", "root"}).exit_code,
            0);
}

}  // namespace
}  // namespace flare::testing
