#include "daemon/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "daemon/log.h"

namespace flare::daemon {

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur == limit.rlim_max) {
    LogInfo("open-file limit", {{"limit", static_cast<unsigned long long>(limit.rlim_cur)}});
    return;
  }
  rlim_t before = limit.rlim_cur;
  // "unlimited" is not a value the kernel accepts for open files (fs.nr_open caps it).
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_max;
  if (limit.rlim_cur <= before) return;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    LogWarn("could not raise the open-file limit",
            {{"soft", static_cast<unsigned long long>(before)}, {"error", std::strerror(errno)}});
    return;
  }
  LogInfo("raised the open-file limit", {{"from", static_cast<unsigned long long>(before)},
                                         {"to", static_cast<unsigned long long>(limit.rlim_cur)}});
}

}  // namespace flare::daemon
