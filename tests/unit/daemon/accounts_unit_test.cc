// Accounts and API keys below the HTTP layer: the password KDF (hash, verify, stored cost,
// rules), the constant-time compare it relies on, the login throttle's lock curve, scope
// rules, and the auth cache (revocation, session expiry, last-use bookkeeping).

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "daemon/api/auth.h"
#include "daemon/service/login_throttle.h"
#include "daemon/service/password.h"
#include "tests/testutil/fake_clock.h"

namespace flare::daemon {
namespace {

using std::chrono::seconds;

// The lowest cost VerifyPassword accepts: the rules are the same at any cost.
constexpr int kCheapCost = 1000;

TEST(PasswordHash, VerifiesTheRightPasswordOnlyAndSaltsEachHash) {
  std::string stored = HashPassword("correct horse battery", kCheapCost);
  EXPECT_TRUE(VerifyPassword("correct horse battery", stored));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", stored));
  EXPECT_FALSE(VerifyPassword("", stored));
  EXPECT_NE(HashPassword("correct horse battery", kCheapCost), stored);  // fresh salt
  EXPECT_EQ(stored.find("correct"), std::string::npos);
}

TEST(PasswordHash, DefaultCostIsPbkdf2Sha256With600kIterationsStoredInTheHash) {
  EXPECT_EQ(kPasswordIterations, 600'000);
  std::string stored = HashPassword("correct horse battery");
  EXPECT_EQ(stored.rfind("pbkdf2-sha256$600000$", 0), 0u) << stored;
  EXPECT_TRUE(VerifyPassword("correct horse battery", stored));
}

TEST(PasswordHash, MalformedOrTamperedStoredTextNeverVerifies) {
  std::string stored = HashPassword("correct horse battery", kCheapCost);
  EXPECT_FALSE(VerifyPassword("correct horse battery", ""));
  EXPECT_FALSE(VerifyPassword("correct horse battery", "plain"));
  EXPECT_FALSE(VerifyPassword("correct horse battery", "md5$1000$abc$def"));
  std::string cheap = stored;
  cheap.replace(cheap.find("$1000$"), 6, "$1$");  // a cost below the floor
  EXPECT_FALSE(VerifyPassword("correct horse battery", cheap));
  std::string flipped = stored;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword("correct horse battery", flipped));
}

TEST(PasswordRules, RefuseShortRepeatedOrEmailPasswordsWithASentence) {
  EXPECT_TRUE(CheckPasswordRules("ChangeMe123!", "you@example.com").ok());
  auto short_one = CheckPasswordRules("short", "you@example.com");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.error().field, "password");
  EXPECT_NE(short_one.error().message.find("at least 10"), std::string::npos);
  EXPECT_FALSE(CheckPasswordRules("aaaaaaaaaaaa", "you@example.com").ok());
  EXPECT_FALSE(CheckPasswordRules("You@Example.com", "you@example.com").ok());
  EXPECT_FALSE(CheckPasswordRules(std::string(2000, 'x') + "y", "you@example.com").ok());
}

TEST(ConstantTimeCompare, EqualOnlyForIdenticalBytes) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(LoginThrottle, LocksAnEmailAfterFiveAttemptsWithADoublingWait) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  LoginThrottle throttle(clock);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(throttle.Admit("You@Example.com", "10.0.0.1").count(), 0);
  EXPECT_EQ(throttle.Admit("you@example.com", "10.0.0.2").count(), 1);  // case-insensitive
  clock.Advance(seconds(1));
  EXPECT_EQ(throttle.Admit("you@example.com", "10.0.0.2").count(), 0);
  EXPECT_EQ(throttle.Admit("you@example.com", "10.0.0.2").count(), 2);
  clock.Advance(seconds(2));
  EXPECT_EQ(throttle.Admit("you@example.com", "10.0.0.2").count(), 0);
  EXPECT_EQ(throttle.Admit("you@example.com", "10.0.0.2").count(), 4);
  // Another account is not locked by this one's failures.
  EXPECT_EQ(throttle.Admit("other@example.com", "10.0.0.3").count(), 0);
}

TEST(LoginThrottle, SuccessClearsTheEmailAndGoodLoginsNeverLockAnAddress) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  LoginThrottle throttle(clock);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(throttle.Admit("a@example.com", "10.0.0.1").count(), 0);
  throttle.Succeeded("a@example.com", "10.0.0.1");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(throttle.Admit("a@example.com", "10.0.0.1").count(), 0);
  for (int i = 0; i < 100; ++i) {
    std::string email = "user" + std::to_string(i) + "@example.com";
    ASSERT_EQ(throttle.Admit(email, "10.0.0.9").count(), 0) << i;
    throttle.Succeeded(email, "10.0.0.9");
  }
}

TEST(LoginThrottle, OneAddressSprayingManyEmailsIsLockedAndTheLockIsCapped) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  LoginThrottle throttle(clock);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(throttle.Admit("u" + std::to_string(i) + "@example.com", "10.0.0.1").count(), 0);
  }
  EXPECT_GT(throttle.Admit("fresh@example.com", "10.0.0.1").count(), 0);
  EXPECT_EQ(throttle.Admit("fresh@example.com", "10.0.0.2").count(), 0);
  for (int i = 0; i < 40; ++i) {
    clock.Advance(seconds(16 * 60));
    throttle.Admit("victim@example.com", "10.0.1." + std::to_string(i));
  }
  EXPECT_LE(throttle.Admit("victim@example.com", "10.0.2.1").count(), 15 * 60);
}

TEST(LoginThrottle, AnUnknownAddressIsNotOneKeySharedByEveryClient) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  LoginThrottle throttle(clock);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(throttle.Admit("u" + std::to_string(i) + "@example.com", "").count(), 0) << i;
  }
}

TEST(Scopes, AdminGrantsAllWriteImpliesReadAndAnyNeedsOnlyAValidKey) {
  EXPECT_TRUE(ScopeAllows({"admin"}, "webhooks"));
  EXPECT_TRUE(ScopeAllows({"jobs:write"}, "jobs:read"));
  EXPECT_FALSE(ScopeAllows({"jobs:read"}, "jobs:write"));
  EXPECT_FALSE(ScopeAllows({"jobs:read"}, "admin"));
  EXPECT_FALSE(ScopeAllows({"workers"}, "jobs:read"));
  EXPECT_TRUE(ScopeAllows({"workers"}, kAnyScope));
  EXPECT_TRUE(ScopeAllows({}, kAnyScope));
}

httplib::Request WithBearer(const std::string& secret) {
  httplib::Request request;
  request.set_header("Authorization", "Bearer " + secret);
  return request;
}

ApiKeyRecord Key(const std::string& secret, std::vector<std::string> scopes) {
  ApiKeyRecord key;
  key.id = "key_1";
  key.project_id = "prj_1";
  key.key_hash = Sha256(secret);
  key.scopes = std::move(scopes);
  return key;
}

TEST(AuthCache, ARevokedKeyFailsAtOnceAndAReadKeyGets403NamingTheScope) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  Authenticator auth({Key("secret-read", {"jobs:read"})}, clock);
  EXPECT_TRUE(auth.Authenticate(WithBearer("secret-read"), "jobs:read").ok());
  auto write = auth.Authenticate(WithBearer("secret-read"), "jobs:write");
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code, ErrorCode::kForbidden);
  EXPECT_NE(write.error().message.find("jobs:write"), std::string::npos);
  auth.RemoveKey(Sha256("secret-read"));
  auto after = auth.Authenticate(WithBearer("secret-read"), "jobs:read");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnauthorized);
}

TEST(AuthCache, SessionsActAsAdminOfTheirProjectUntilTheyExpire) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  Authenticator auth({}, clock);
  SessionRecord session{"ses_1",         "usr_1",     "prj_2",
                        Sha256("token"), clock.Now(), clock.Now() + seconds(60)};
  auth.AddSessions({session});
  auto principal = auth.Authenticate(WithBearer("token"), "admin");
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->project_id, "prj_2");
  EXPECT_EQ(principal->user_id, "usr_1");
  clock.Advance(seconds(60));
  auto expired = auth.Authenticate(WithBearer("token"), "admin");
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthorized);
}

TEST(AuthCache, KeyUseIsNotedInMemoryAndHandedOverOnce) {
  testing::FakeClock clock(*ParseTime("2026-03-08T06:00:00Z"));
  Authenticator auth({Key("secret", {"admin"})}, clock);
  EXPECT_FALSE(auth.LastUsed("key_1"));
  ASSERT_TRUE(auth.Authenticate(WithBearer("secret"), "admin").ok());
  clock.Advance(seconds(5));
  ASSERT_TRUE(auth.Authenticate(WithBearer("secret"), "admin").ok());
  auto uses = auth.TakeUsage();
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].first, "key_1");
  EXPECT_EQ(uses[0].second, clock.Now());
  EXPECT_TRUE(auth.TakeUsage().empty());
  EXPECT_EQ(auth.LastUsed("key_1"), clock.Now());
}

}  // namespace
}  // namespace flare::daemon
