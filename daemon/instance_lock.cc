#include "daemon/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flare::daemon {
namespace {

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Result<InstanceLock> InstanceLock::Acquire(const std::string& data_dir) {
  std::string path = data_dir + "/flared.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{ErrorCode::kUnavailable, "cannot open " + path + ": " + std::strerror(errno)};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return Error{ErrorCode::kUnavailable, "cannot lock " + path + ": " + std::strerror(error)};
    }
    std::string pid = FirstLine(path);
    std::string address = FirstLine(data_dir + "/flared.addr");
    std::string holder = "another flared";
    if (!pid.empty())
      holder += " (pid " + pid + (address.empty() ? "" : ", listening on " + address) + ")";
    return Error{ErrorCode::kConflict, holder + " is already using the data directory " + data_dir +
                                           "; stop it first, or give this one its own --data-dir"};
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; only the message for a second daemon loses it.
  }
  return InstanceLock(fd);
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace flare::daemon
