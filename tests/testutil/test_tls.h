#pragma once
// Throwaway PKI for TLS tests: a CA and a server certificate for 127.0.0.1 and
// localhost signed by it, made with the OpenSSL API at test time.

#include <filesystem>
#include <string>

namespace flare::testing {

struct TestCertificates {
  std::string ca_pem;                 // the CA certificate, PEM
  std::filesystem::path server_cert;  // server certificate file, PEM
  std::filesystem::path server_key;   // server private key file, PEM
};

/// Writes a fresh CA-signed server certificate and key into `dir`.
/// Throws std::runtime_error when OpenSSL fails.
TestCertificates MakeTestCertificates(const std::filesystem::path& dir);

}  // namespace flare::testing
