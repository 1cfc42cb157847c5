#pragma once
// One flared per data directory. Two daemons on one database would each think they own the
// runs in flight (the second fails the first's), fight over the SQLite write lock, and
// delete each other's flared.addr. The lock is an flock on <data-dir>/flared.lock, taken
// before the database is opened and held for the life of the process (the kernel releases
// it when the process dies, so a crash never leaves a stale lock). The file holds the
// holder's pid, for the message the next one prints.

#include <string>

#include "common/result.h"

namespace flare::daemon {

class InstanceLock {
 public:
  /// Locks `data_dir`, or explains which daemon holds it.
  static Result<InstanceLock> Acquire(const std::string& data_dir);

  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace flare::daemon
