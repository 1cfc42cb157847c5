#pragma once
// flared holds a descriptor per connection (up to max waiters long-polls plus clients), per
// reader connection and per executor socket: the defaults alone outgrow the usual soft
// limit of 1,024 open files. The hard limit is what the administrator allows (systemd:
// LimitNOFILE=), so flared raises its soft limit to it at start.

namespace flare::daemon {

/// Raises the soft RLIMIT_NOFILE to the hard limit and logs what it did.
void RaiseOpenFileLimit();

}  // namespace flare::daemon
