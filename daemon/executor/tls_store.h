#pragma once
// A trust store built from a PEM bundle held in memory (the target's ca_cert).

#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flare::daemon {

struct X509StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;

/// Every certificate in `pem`; an Error when there is none or one is malformed.
Result<X509StorePtr> LoadCaStore(std::string_view pem);

/// Hex SHA-256 of `text`, to key connection pools by trust store.
std::string Sha256Hex(std::string_view text);

}  // namespace flare::daemon
