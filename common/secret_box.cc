#include "common/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace flare {
namespace {

constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

CipherContext NewContext() {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return ctx;
}

}  // namespace

std::string SealSecret(std::string_view key, std::string_view plaintext, std::string_view context) {
  if (key.size() != kSecretBoxKeySize) throw std::invalid_argument("secret box key size");
  std::string box(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  if (RAND_bytes(out, kNonceSize) != 1) throw std::runtime_error("RAND_bytes failed");
  CipherContext ctx = NewContext();
  int length = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), out) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(context),
                              static_cast<int>(context.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), out + kNonceSize, &length, Bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), out + kNonceSize + length, &length) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                                out + kNonceSize + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return box;
}

Result<std::string> OpenSecret(std::string_view key, std::string_view box,
                               std::string_view context) {
  const Error refused{ErrorCode::kInternal,
                      "a stored secret does not decrypt: the key file does not match the database"};
  if (key.size() != kSecretBoxKeySize || box.size() < kNonceSize + kTagSize) return refused;
  size_t cipher_size = box.size() - kNonceSize - kTagSize;
  std::string plaintext(cipher_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  std::string tag(box.substr(kNonceSize + cipher_size));
  CipherContext ctx = NewContext();
  int length = 0;
  bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(box)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(context),
                        static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &length, Bytes(box) + kNonceSize,
                        static_cast<int>(cipher_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + length, &length) == 1;
  if (!ok) return refused;
  return plaintext;
}

}  // namespace flare
