#pragma once
// Byte encodings used across flare: base64 (cursors, signatures), SHA-256 (key hashes,
// idempotency fingerprints), and a constant-time comparison for secrets.

#include <optional>
#include <string>
#include <string_view>

namespace flare {

std::string Base64Encode(std::string_view bytes);
/// nullopt when `text` is not valid base64.
std::optional<std::string> Base64Decode(std::string_view text);
/// URL-safe base64 without padding (for opaque cursors in query strings).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
/// The 32 raw bytes of SHA-256.
std::string Sha256(std::string_view bytes);
std::string HexEncode(std::string_view bytes);
/// Compares without leaking where the first difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace flare
