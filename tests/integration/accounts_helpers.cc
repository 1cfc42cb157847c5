#include "tests/integration/accounts_helpers.h"

namespace flare::testing {

json Signup(const FlaredProcess& flared, const std::string& email, const std::string& name) {
  HttpReply reply =
      flared.Call("POST", "/platform/v1/auth/signup",
                  {{"email", email}, {"password", kTestPassword}, {"name", name}}, "");
  EXPECT_EQ(reply.status, 201) << reply.body;
  return reply.json();
}

std::string Login(const FlaredProcess& flared, const std::string& email,
                  const std::string& password) {
  HttpReply reply = flared.Call("POST", "/platform/v1/auth/login",
                                {{"email", email}, {"password", password}}, "");
  EXPECT_EQ(reply.status, 200) << reply.body;
  return reply.json().value("token", "");
}

json CreateKey(const FlaredProcess& flared, const std::vector<std::string>& scopes,
               const std::string& credential) {
  HttpReply reply = flared.Call("POST", "/flare/v1/api-keys",
                                {{"name", Unique("key")}, {"scopes", scopes}}, credential);
  EXPECT_EQ(reply.status, 201) << reply.body;
  return reply.json();
}

CommandResult FlarectlAsUser(const FlaredProcess& flared, const TempDir& home,
                             const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> full = {"--base-url", flared.base_url()};
  full.insert(full.end(), args.begin(), args.end());
  return RunProgram(FLARECTL_PATH, full, input,
                    {"XDG_CONFIG_HOME=" + (home / "config").string(),
                     "FLARE_DATA_DIR=" + (home / "no-daemon-here").string()});
}

}  // namespace flare::testing
