#include "common/thread_name.h"

#include <pthread.h>

#include <array>

namespace flare {
namespace {

// The kernel's TASK_COMM_LEN (16) less the terminating NUL.
constexpr size_t kMaxThreadName = 15;

}  // namespace

void NameThisThread(const std::string& name) {
  ::pthread_setname_np(::pthread_self(), name.substr(0, kMaxThreadName).c_str());
}

std::thread NamedThread(std::string name, std::function<void()> body) {
  return std::thread([name = std::move(name), body = std::move(body)] {
    NameThisThread(name);
    body();
  });
}

std::string ThisThreadName() {
  std::array<char, kMaxThreadName + 1> name{};
  if (::pthread_getname_np(::pthread_self(), name.data(), name.size()) != 0) return "";
  return name.data();
}

}  // namespace flare
