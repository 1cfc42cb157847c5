#pragma once
// Password hashing for local accounts: PBKDF2-HMAC-SHA256 from OpenSSL with a random
// 16-byte salt and 600,000 iterations (OWASP's 2023 figure for this KDF; about a quarter
// of a second of one core here), stored as self-describing text
// "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" so the cost can be raised later
// without invalidating old hashes. Verification recomputes with the stored cost and
// compares in constant time. Both are slow on purpose: call them off the writer thread.

#include <string>
#include <string_view>

#include "common/result.h"

namespace flare::daemon {

inline constexpr int kPasswordIterations = 600'000;
inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 1024;

/// The stored form of `password` with a fresh salt.
std::string HashPassword(std::string_view password, int iterations = kPasswordIterations);
/// True when `password` hashes to `stored` (false for malformed stored text).
bool VerifyPassword(std::string_view password, std::string_view stored);
/// The minimum rules, as a 400 naming the field `password` when one is broken.
Status CheckPasswordRules(std::string_view password, std::string_view email);

}  // namespace flare::daemon
