#pragma once
// Helpers of the accounts, API-key and tenancy suites: sign a user up, log in, call with a
// given Bearer credential, run flarectl with its own config dir and no admin-key fallback.

#include <string>
#include <vector>

#include "tests/integration/itest.h"
#include "tests/testutil/temp_dir.h"

namespace flare::testing {

/// The password every test account uses (passes the signup rules).
inline constexpr const char* kTestPassword = "ChangeMe123!";
/// flared flags for suites that sign up and log in a lot: a cheap KDF (the real cost is
/// covered by a unit test and by the newman run).
inline const std::vector<std::string> kCheapKdf = {"--password-kdf-iterations", "1000"};

/// POST /platform/v1/auth/signup; records a failure unless 201. Returns the answer.
json Signup(const FlaredProcess& flared, const std::string& email,
            const std::string& name = "Test User");
/// POST /platform/v1/auth/login; records a failure unless 200. Returns the token.
std::string Login(const FlaredProcess& flared, const std::string& email,
                  const std::string& password = kTestPassword);
/// POST /flare/v1/api-keys with `credential`; records a failure unless 201. Returns the answer.
json CreateKey(const FlaredProcess& flared, const std::vector<std::string>& scopes,
               const std::string& credential = "\x01");

/// flarectl against `flared` with XDG_CONFIG_HOME in `home` and no admin.key to fall back
/// on, so the profile's api_key is what it uses (no --api-key unless in `args`).
CommandResult FlarectlAsUser(const FlaredProcess& flared, const TempDir& home,
                             const std::vector<std::string>& args, const std::string& input = "");

}  // namespace flare::testing
