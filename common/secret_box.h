#pragma once
// Secrets at rest: AES-256-GCM (OpenSSL EVP) with a 32-byte key kept outside the database.
// A sealed box is nonce (12 random bytes) || ciphertext || tag (16 bytes). `context` is
// authenticated but not stored (the row id, say), so a box copied onto another row does
// not open there.

#include <string>
#include <string_view>

#include "common/result.h"

namespace flare {

constexpr size_t kSecretBoxKeySize = 32;

/// Encrypts `plaintext` under `key` (kSecretBoxKeySize bytes).
std::string SealSecret(std::string_view key, std::string_view plaintext, std::string_view context);
/// The plaintext, or an error when the key, context or box is wrong (tampered or truncated).
Result<std::string> OpenSecret(std::string_view key, std::string_view box,
                               std::string_view context);

}  // namespace flare
