// Routes whose write confirms the request's API key (Router::AddKeyConfirmedByWrite), where
// the database answers for every credential (several nodes): a key this node has read
// before is not read again when a write confirms it, and is read before the answer in every
// other case, so a key revoked elsewhere never gets an answer other than 401.
//
// The "database" here is a set of active key hashes behind the Authenticator's lookup, and
// the handlers play the write: they find the key to confirm on their thread (what the
// PostgreSQL backend reads in the group transaction) and mark it as that backend would.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>

#include "common/encoding.h"
#include "daemon/api/auth.h"
#include "daemon/api/http_util.h"
#include "daemon/api/router.h"
#include "daemon/store/transactions.h"

namespace flare::daemon {
namespace {

constexpr const char* kSecret = "flare_sk_test";

ApiKeyRecord TestKey() {
  ApiKeyRecord key;
  key.id = "key_1";
  key.project_id = "prj_1";
  key.key_hash = Sha256(kSecret);
  key.scopes = {"jobs:write"};
  return key;
}

class KeyConfirmedByWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    auth_.CheckEveryRequestWith([this](const std::string& hash) -> Result<StoredCredential> {
      ++lookups_;
      StoredCredential stored;
      if (database_.count(hash)) stored.key = TestKey();
      return stored;
    });
    // The write: confirms the key if the database still has it, else refuses it (401).
    router_.AddKeyConfirmedByWrite(
        "POST", "/write", "jobs:write", [this](RequestContext&, httplib::Response& response) {
          KeyToConfirm* key = KeyToConfirmOfThisThread();
          keys_seen_by_writes_ += key != nullptr;
          if (key && !database_.count(key->key_hash)) {
            key->refused = true;
            return SendError(response, Error{ErrorCode::kUnauthorized, "revoked"});
          }
          if (key) key->confirmed = true;
          SendJson(response, 201, {{"written", true}});
        });
    // Refused before any write (a bad body).
    router_.AddKeyConfirmedByWrite("POST", "/refuse", "jobs:write",
                                   [](RequestContext&, httplib::Response& response) {
                                     SendError(response, InvalidRequest("bad body"));
                                   });
  }

  int Call(const std::string& path) {
    httplib::Request request;
    request.method = "POST";
    request.path = path;
    request.set_header("Authorization", std::string("Bearer ") + kSecret);
    httplib::Response response;
    router_.Dispatch(request, response);
    return response.status;
  }

  std::set<std::string> database_{Sha256(kSecret)};
  std::atomic<int> lookups_{0};
  int keys_seen_by_writes_ = 0;
  Authenticator auth_{{}};
  Router router_{auth_};
};

TEST_F(KeyConfirmedByWrite, AKeyReadOnceIsThenConfirmedByEachWriteInsteadOfRead) {
  EXPECT_EQ(Call("/write"), 201);
  EXPECT_EQ(lookups_, 1) << "the first request reads the key";
  EXPECT_EQ(keys_seen_by_writes_, 0) << "a key just read needs no confirmation";
  EXPECT_EQ(Call("/write"), 201);
  EXPECT_EQ(Call("/write"), 201);
  EXPECT_EQ(lookups_, 1) << "the writes confirmed the key: no read";
  EXPECT_EQ(keys_seen_by_writes_, 2);
}

TEST_F(KeyConfirmedByWrite, AKeyRevokedElsewhereIsRefusedByTheWriteAndReadAgainAfter) {
  ASSERT_EQ(Call("/write"), 201);
  database_.clear();  // revoked through another node
  EXPECT_EQ(Call("/write"), 401);
  EXPECT_EQ(lookups_, 1) << "the write refused it without a read";
  EXPECT_EQ(Call("/write"), 401);
  EXPECT_EQ(lookups_, 2) << "once refused, the key is forgotten and read again";
}

TEST_F(KeyConfirmedByWrite, ARequestRefusedBeforeItsWriteHasItsKeyReadBeforeTheAnswer) {
  ASSERT_EQ(Call("/write"), 201);
  EXPECT_EQ(Call("/refuse"), 400) << "the key is still active: the handler's answer stands";
  EXPECT_EQ(lookups_, 2) << "nothing confirmed the key: it was read";
  database_.clear();
  EXPECT_EQ(Call("/refuse"), 401) << "revoked: 401 replaces the handler's answer";
}

TEST_F(KeyConfirmedByWrite, AKeyWithoutTheRouteScopeIsReadAndAnswered403) {
  database_.clear();
  ApiKeyRecord read_only = TestKey();
  read_only.scopes = {"jobs:read"};
  auth_.CheckEveryRequestWith([&](const std::string&) -> Result<StoredCredential> {
    ++lookups_;
    return StoredCredential{read_only, std::nullopt};
  });
  EXPECT_EQ(Call("/write"), 403);
  EXPECT_EQ(Call("/write"), 403);
  EXPECT_EQ(lookups_, 2) << "a remembered key without the scope is not used unread";
}

}  // namespace
}  // namespace flare::daemon
