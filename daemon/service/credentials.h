#pragma once
// The shapes of credentials, shared by the auth cache (api), key and account services and
// the first-start bootstrap: secret formats and the scopes a key may carry (SPEC §7).

#include <string>
#include <vector>

#include "common/ids.h"

namespace flare::daemon {

/// A new secret key: "flare_sk_" + 40 random base32 characters.
inline std::string NewSecretKey() { return "flare_sk_" + RandomBase32(40); }
/// A new session token: "flare_st_" + 40 random base32 characters.
inline std::string NewSessionToken() { return "flare_st_" + RandomBase32(40); }

/// The scopes an API key may have.
inline const std::vector<std::string>& KnownScopes() {
  static const std::vector<std::string> scopes = {"jobs:read", "jobs:write", "workers", "webhooks",
                                                  "admin"};
  return scopes;
}

}  // namespace flare::daemon
