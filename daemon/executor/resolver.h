#pragma once
// The Resolver seam: host name → addresses, asked exactly once per hop so the
// address the egress guard checked is the address connected to.

#include <memory>
#include <string>
#include <vector>

#include "common/egress_ip.h"
#include "common/result.h"

namespace flare::daemon {

class Resolver {
 public:
  virtual ~Resolver() = default;
  /// Every address of `host`, in the order to try; an Error when it has none.
  virtual Result<std::vector<IpAddress>> Resolve(const std::string& host) = 0;
};

/// getaddrinfo (TCP, AI_ADDRCONFIG). Blocking: it cannot be cancelled or timed out.
std::unique_ptr<Resolver> MakeSystemResolver();

}  // namespace flare::daemon
