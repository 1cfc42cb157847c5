#include "daemon/executor/tls_store.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace flare::daemon {
namespace {

constexpr int kMaxCertificates = 1000;  // a bundle larger than this is not a trust store

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

Error BadBundle(std::string why) {
  return Error{ErrorCode::kInvalidRequest, "ca_cert is not a usable PEM bundle: " + why, "ca_cert"};
}

}  // namespace

Result<X509StorePtr> LoadCaStore(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509StorePtr store(X509_STORE_new());
  if (!bio || !store) return BadBundle("out of memory");
  int count = 0;
  for (; count < kMaxCertificates; ++count) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    int added = X509_STORE_add_cert(store.get(), cert);
    X509_free(cert);
    if (added != 1) return BadBundle("a certificate could not be added");
  }
  // Reading stops with "no start line" at the end of the bundle; anything else is damage.
  unsigned long last = ERR_peek_last_error();
  bool clean_end = ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (count == 0) return BadBundle("no certificate found");
  if (!clean_end && last != 0) return BadBundle("a certificate is malformed");
  return store;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace flare::daemon
