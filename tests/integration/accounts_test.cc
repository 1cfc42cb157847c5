// Local accounts (SPEC §1, §7, §8 --signup, seed 000's Auth/Billing/Account folders):
// signup makes a user and a new project, login's token works as a Bearer key of that
// project and expires, failed logins are slowed, signup can be closed, and the account,
// billing and products pages describe the local plan; checkout and portal are 501.

#include <sys/stat.h>

#include <fstream>

#include "common/clock.h"
#include "common/time_format.h"
#include "tests/integration/accounts_helpers.h"

namespace flare::testing {
namespace {

class Accounts : public ::testing::Test {
 protected:
  // A 3 s first lock: wide enough that a slow (sanitized, loaded) run still meets it.
  FlaredProcess flared_{{"--password-kdf-iterations", "1000", "--login-lock-base", "3s"}};
};

TEST_F(Accounts, SignupMakesAUserAndItsOwnProjectAndTheLoginTokenIsABearerKeyOfIt) {
  json signup = Signup(flared_, "Ada@Example.com", "Ada");
  EXPECT_TRUE(IsPrefixedId(signup["user"].value("id", ""), "usr"));
  std::string project = signup["project"].value("id", "");
  EXPECT_TRUE(IsPrefixedId(project, "prj"));
  EXPECT_EQ(signup["user"]["email"], "Ada@Example.com");

  HttpReply login = flared_.Call("POST", "/platform/v1/auth/login",
                                 {{"email", "ada@example.com"}, {"password", kTestPassword}}, "");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string token = login.json().value("token", "");
  ASSERT_FALSE(token.empty());
  auto expires = ParseTime(login.json().value("expires_at", ""));
  ASSERT_TRUE(expires.ok());
  auto ttl = *expires - SystemClock::Instance().Now();
  EXPECT_GT(ttl, std::chrono::hours(24 * 29));
  EXPECT_LE(ttl, std::chrono::hours(24 * 30));

  json me = flared_.Call("GET", "/platform/v1/auth/me", nullptr, token).json();
  EXPECT_EQ(me["user"]["email"], "Ada@Example.com");
  EXPECT_EQ(me["project"]["id"], project);
  EXPECT_EQ(me["credential"]["type"], "session");

  // Everything the user does is scoped to their project.
  HttpReply created = flared_.Call("POST", "/flare/v1/jobs", JobBody(Unique("q")), token);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string job = created.json().value("id", "");
  EXPECT_EQ(flared_.Call("GET", "/flare/v1/jobs/" + job, nullptr, token).status, 200);
  EXPECT_TRUE(IsError(flared_.Call("GET", "/flare/v1/jobs/" + job), 404, "job_not_found"));
  json admin_me = flared_.Call("GET", "/platform/v1/auth/me").json();
  EXPECT_NE(admin_me["project"]["id"], project);
  EXPECT_EQ(admin_me["credential"]["type"], "api_key");
  EXPECT_TRUE(admin_me["user"].is_null());
}

TEST_F(Accounts, SignupRefusesBadInputWithASentenceAndDuplicateEmailsInAnyCase) {
  auto signup = [&](const json& body) {
    return flared_.Call("POST", "/platform/v1/auth/signup", body, "");
  };
  EXPECT_TRUE(IsError(signup({{"email", "a@example.com"}, {"password", "short"}}), 400,
                      "invalid_request", "password"));
  EXPECT_TRUE(IsError(signup({{"email", "not-an-email"}, {"password", kTestPassword}}), 400,
                      "invalid_request", "email"));
  EXPECT_TRUE(IsError(signup({{"password", kTestPassword}}), 400, "invalid_request", "email"));
  EXPECT_TRUE(
      IsError(signup({{"email", "a@example.com"}, {"password", kTestPassword}, {"nmae", "typo"}}),
              400, "invalid_request"));
  Signup(flared_, "dup@example.com");
  EXPECT_TRUE(IsError(signup({{"email", "DUP@example.COM"}, {"password", kTestPassword}}), 409,
                      "conflict", "email"));
}

TEST_F(Accounts, PublicRoutesIgnoreABadBearerAndEverythingElseNeedsAValidOne) {
  // Seed 000 sends its placeholder apiKey on signup and login too.
  HttpReply signup =
      flared_.Call("POST", "/platform/v1/auth/signup",
                   {{"email", "pub@example.com"}, {"password", kTestPassword}, {"name", "P"}},
                   "zf_live_sk_xxxxxxxxxxxxxxxxxxxx");
  EXPECT_EQ(signup.status, 201) << signup.body;
  for (const char* path : {"/platform/v1/auth/me", "/platform/v1/account",
                           "/platform/v1/billing/status", "/platform/v1/products"}) {
    EXPECT_TRUE(IsError(flared_.Call("GET", path, nullptr, ""), 401, "unauthorized")) << path;
    EXPECT_TRUE(IsError(flared_.Call("GET", path, nullptr, "flare_st_bogus"), 401, "unauthorized"))
        << path;
  }
}

TEST_F(Accounts, RepeatedFailedLoginsAreRefusedWith429AndRetryAfterThenAllowedAgain) {
  Signup(flared_, "locked@example.com");
  json wrong = {{"email", "locked@example.com"}, {"password", "WrongPassword1"}};
  std::string wrong_message;
  for (int i = 0; i < 5; ++i) {
    HttpReply reply = flared_.Call("POST", "/platform/v1/auth/login", wrong, "");
    EXPECT_TRUE(IsError(reply, 401, "unauthorized"));
    wrong_message = reply.json()["error"].value("message", "");
  }
  // Even the right password waits now: no unlimited guessing.
  json right = {{"email", "locked@example.com"}, {"password", kTestPassword}};
  HttpReply refused = flared_.Call("POST", "/platform/v1/auth/login", right, "");
  ASSERT_TRUE(IsError(refused, 429, "rate_limit_exceeded"));
  int retry_after = std::stoi(refused.header("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 3);
  // An unknown email answers exactly as a wrong password does.
  HttpReply nobody =
      flared_.Call("POST", "/platform/v1/auth/login",
                   {{"email", "nobody@example.com"}, {"password", "WrongPassword1"}}, "");
  EXPECT_TRUE(IsError(nobody, 401, "unauthorized"));
  EXPECT_EQ(nobody.json()["error"].value("message", ""), wrong_message);
  bool allowed = WaitFor(
      [&] { return flared_.Call("POST", "/platform/v1/auth/login", right, "").status == 200; },
      seconds(10));
  EXPECT_TRUE(allowed);
}

TEST_F(Accounts, OneClientGuessingAcrossManyEmailsIsSlowedToo) {
  for (int i = 0; i < 20; ++i) {
    json guess = {{"email", "spray" + std::to_string(i) + "@example.com"},
                  {"password", "WrongPassword1"}};
    ASSERT_TRUE(
        IsError(flared_.Call("POST", "/platform/v1/auth/login", guess, ""), 401, "unauthorized"))
        << i;
  }
  json fresh = {{"email", "spray-new@example.com"}, {"password", "WrongPassword1"}};
  EXPECT_TRUE(IsError(flared_.Call("POST", "/platform/v1/auth/login", fresh, ""), 429,
                      "rate_limit_exceeded"));
}

TEST(AccountsConfig, ExpiredSessionTokensAreRejected) {
  FlaredProcess flared({"--password-kdf-iterations", "1000", "--session-ttl", "2s"});
  Signup(flared, "short@example.com");
  std::string token = Login(flared, "short@example.com");
  EXPECT_EQ(flared.Call("GET", "/platform/v1/auth/me", nullptr, token).status, 200);
  bool expired = WaitFor(
      [&] { return flared.Call("GET", "/platform/v1/auth/me", nullptr, token).status == 401; },
      seconds(10));
  EXPECT_TRUE(expired);
  EXPECT_TRUE(IsError(flared.Call("GET", "/flare/v1/jobs", nullptr, token), 401, "unauthorized"));
}

TEST(AccountsConfig, SessionsSurviveARestart) {
  FlaredProcess flared(kCheapKdf);
  Signup(flared, "restart@example.com");
  std::string token = Login(flared, "restart@example.com");
  flared.Restart();
  EXPECT_EQ(flared.Call("GET", "/platform/v1/auth/me", nullptr, token).status, 200);
}

TEST(AccountsConfig, ClosedSignupAnswers403WithASentence) {
  FlaredProcess flared({"--signup", "closed"});
  HttpReply reply = flared.Call("POST", "/platform/v1/auth/signup",
                                {{"email", "x@example.com"}, {"password", kTestPassword}}, "");
  ASSERT_TRUE(IsError(reply, 403, "forbidden"));
  EXPECT_NE(reply.json()["error"]["message"].get<std::string>().find("closed"), std::string::npos);
}

TEST_F(Accounts, AccountBillingAndProductsDescribeTheFreeUnlimitedLocalPlan) {
  json signup = Signup(flared_, "bill@example.com", "Billing Co");
  std::string token = Login(flared_, "bill@example.com");
  json account = flared_.Call("GET", "/platform/v1/account", nullptr, token).json();
  EXPECT_EQ(account["id"], signup["project"]["id"]);
  EXPECT_EQ(account["name"], "Billing Co");
  EXPECT_TRUE(IsUtcMillis(account.value("created_at", "")));
  EXPECT_TRUE(account["settings"].is_object());
  EXPECT_EQ(account["owner"]["email"], "bill@example.com");

  // Active jobs are the enabled ones (GET /usage's count): a cron job stays enabled, while a
  // one-off job disables itself once it fires.
  ASSERT_EQ(flared_.Call("POST", "/flare/v1/jobs", JobBody(Unique("q")), token).status, 201);
  json cron = JobBody(Unique("q"));
  cron["schedule"] = "0 3 * * *";
  ASSERT_EQ(flared_.Call("POST", "/flare/v1/jobs", cron, token).status, 201);
  json status = flared_.Call("GET", "/platform/v1/billing/status", nullptr, token).json();
  EXPECT_EQ(status["plan"], "local");
  EXPECT_EQ(status["state"], "active");
  EXPECT_EQ(status["limits"]["runs_per_month"], -1);
  EXPECT_EQ(status["usage"]["runs_used"], 1) << "the one-off job's run; the cron job has none yet";
  EXPECT_EQ(status["usage"]["active_jobs"], 1);
  EXPECT_EQ(status["usage"]["runs_included"], -1);
  // The admin key's project has its own (empty) usage.
  json other = flared_.Call("GET", "/platform/v1/billing/status").json();
  EXPECT_EQ(other["usage"]["runs_used"], 0);

  json products = flared_.Call("GET", "/platform/v1/products", nullptr, token).json();
  ASSERT_EQ(products["data"].size(), 1u);
  EXPECT_EQ(products["data"][0]["plan"], "local");
  EXPECT_EQ(products["data"][0]["state"], "active");
  EXPECT_EQ(products["data"][0]["limits"]["active_jobs"], -1);
  EXPECT_EQ(products["usage"]["runs_used"], 1);

  for (const char* path : {"/platform/v1/billing/checkout", "/platform/v1/billing/portal"}) {
    HttpReply reply = flared_.Call("POST", path, {{"plan_id", "pro-monthly"}}, token);
    ASSERT_TRUE(IsError(reply, 501, "not_supported")) << path;
    EXPECT_NE(reply.json()["error"]["message"].get<std::string>().find("https://api.zeridion.com"),
              std::string::npos);
  }
}

TEST_F(Accounts, FlarectlSignsUpStoresTheTokenWhoamiAndLogsOut) {
  TempDir home;
  CommandResult signup = FlarectlAsUser(
      flared_, home,
      {"auth", "signup", "--email", "cli@example.com", "--name", "Cli", "--password-stdin"},
      std::string(kTestPassword) + "\n");
  ASSERT_EQ(signup.exit_code, 0) << signup.err;
  auto config_path = home / "config" / "flare" / "config.json";
  struct stat info {};
  ASSERT_EQ(stat(config_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ifstream in(config_path);
  json config = json::parse(in);
  EXPECT_EQ(config["profiles"]["default"]["api_key"].get<std::string>().rfind("flare_st_", 0), 0u);

  CommandResult whoami = FlarectlAsUser(flared_, home, {"-o", "json", "auth", "whoami"});
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_EQ(json::parse(whoami.out)["user"]["email"], "cli@example.com");
  CommandResult account = FlarectlAsUser(flared_, home, {"-o", "json", "account"});
  ASSERT_EQ(account.exit_code, 0) << account.err;
  EXPECT_EQ(json::parse(account.out)["name"], "Cli");
  CommandResult status = FlarectlAsUser(flared_, home, {"billing", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("local"), std::string::npos);
  CommandResult checkout = FlarectlAsUser(flared_, home, {"billing", "checkout"});
  EXPECT_EQ(checkout.exit_code, 1);
  EXPECT_NE(checkout.err.find("(not_supported)"), std::string::npos) << checkout.err;
  EXPECT_NE(checkout.err.find("hint:"), std::string::npos) << checkout.err;

  CommandResult logout = FlarectlAsUser(flared_, home, {"auth", "logout"});
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_EQ(FlarectlAsUser(flared_, home, {"auth", "whoami"}).exit_code, 4);

  CommandResult login = FlarectlAsUser(
      flared_, home, {"auth", "login", "--email", "cli@example.com", "--password-stdin"},
      std::string(kTestPassword) + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(FlarectlAsUser(flared_, home, {"auth", "whoami"}).exit_code, 0);
  CommandResult bad = FlarectlAsUser(
      flared_, home, {"auth", "login", "--email", "cli@example.com", "--password-stdin"},
      "WrongPassword1\n");
  EXPECT_EQ(bad.exit_code, 4);
  // No terminal and no --password-stdin: a usage error, never a hang.
  EXPECT_EQ(
      FlarectlAsUser(flared_, home, {"auth", "login", "--email", "cli@example.com"}).exit_code, 2);
  CommandResult risky = FlarectlAsUser(
      flared_, home, {"auth", "login", "--email", "cli@example.com", "--password", kTestPassword});
  EXPECT_EQ(risky.exit_code, 0) << risky.err;
  EXPECT_NE(risky.err.find("warning:"), std::string::npos);
  // A named profile that does not exist yet is made by login.
  CommandResult staging = FlarectlAsUser(
      flared_, home,
      {"-p", "staging", "auth", "login", "--email", "cli@example.com", "--password-stdin"},
      std::string(kTestPassword) + "\n");
  ASSERT_EQ(staging.exit_code, 0) << staging.err;
  EXPECT_EQ(FlarectlAsUser(flared_, home, {"-p", "staging", "auth", "whoami"}).exit_code, 0);
}

}  // namespace
}  // namespace flare::testing
