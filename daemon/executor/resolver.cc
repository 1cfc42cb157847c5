#include "daemon/executor/resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

namespace flare::daemon {
namespace {

constexpr size_t kMaxAddresses = 16;

IpAddress FromSockaddr(const sockaddr* address) {
  IpAddress result;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    std::memcpy(result.bytes.data(), &v4->sin_addr, 4);
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    result.family = IpAddress::Family::kV6;
    std::memcpy(result.bytes.data(), &v6->sin6_addr, 16);
  }
  return result;
}

class SystemResolver final : public Resolver {
 public:
  Result<std::vector<IpAddress>> Resolve(const std::string& host) override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    if (rc != 0) {
      return Error{ErrorCode::kUnavailable, "cannot resolve " + host + ": " + gai_strerror(rc), ""};
    }
    std::vector<IpAddress> addresses;
    for (addrinfo* it = list; it != nullptr && addresses.size() < kMaxAddresses; it = it->ai_next) {
      if (it->ai_family == AF_INET || it->ai_family == AF_INET6) {
        addresses.push_back(FromSockaddr(it->ai_addr));
      }
    }
    freeaddrinfo(list);
    if (addresses.empty()) {
      return Error{ErrorCode::kUnavailable, "cannot resolve " + host + ": no address", ""};
    }
    return addresses;
  }
};

}  // namespace

std::unique_ptr<Resolver> MakeSystemResolver() { return std::make_unique<SystemResolver>(); }

}  // namespace flare::daemon
