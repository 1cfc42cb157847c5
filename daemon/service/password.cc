#include "daemon/service/password.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "common/encoding.h"

namespace flare::daemon {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
// Verification refuses costs outside this range, so a tampered row cannot make one login
// burn minutes of CPU (and tests may lower the cost, never to nothing).
constexpr long kMinIterations = 1'000;
constexpr long kMaxIterations = 10'000'000;

std::string Derive(std::string_view password, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::string HashPassword(std::string_view password, int iterations) {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    throw std::runtime_error("no random bytes for a password salt");
  }
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + Base64Encode(salt) + "$" +
         Base64Encode(Derive(password, salt, iterations));
}

bool VerifyPassword(std::string_view password, std::string_view stored) {
  auto parts = Split(stored, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  std::string cost(parts[1]);
  char* end = nullptr;
  long iterations = std::strtol(cost.c_str(), &end, 10);
  if (cost.empty() || *end != '\0' || iterations < kMinIterations || iterations > kMaxIterations)
    return false;
  auto salt = Base64Decode(parts[2]);
  auto expected = Base64Decode(parts[3]);
  if (!salt || !expected || expected->size() != kHashBytes) return false;
  return ConstantTimeEquals(Derive(password, *salt, static_cast<int>(iterations)), *expected);
}

Status CheckPasswordRules(std::string_view password, std::string_view email) {
  if (password.size() < kMinPasswordLength) {
    return InvalidRequest("password must be at least " + std::to_string(kMinPasswordLength) +
                              " characters long; a passphrase of a few words works well",
                          "password");
  }
  if (password.size() > kMaxPasswordLength) {
    return InvalidRequest(
        "password must be at most " + std::to_string(kMaxPasswordLength) + " bytes", "password");
  }
  auto lower = [](std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  if (lower(password) == lower(email)) {
    return InvalidRequest("password must not be the email address; choose another", "password");
  }
  bool all_same =
      std::all_of(password.begin(), password.end(), [&](char c) { return c == password.front(); });
  if (all_same) {
    return InvalidRequest("password must not be one repeated character; choose another",
                          "password");
  }
  return Ok{};
}

}  // namespace flare::daemon
