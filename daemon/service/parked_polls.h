#pragma once
// Long-polls parked in the dispatcher, seen from the domain: a worker run that becomes ready
// while a poll of its queue is parked is claimed for that poll inside the transaction that
// makes it ready (a create, a retry coming due, a parent that succeeded), and the poll is
// answered right after that commit, not after a claim transaction of its own. Called on the
// writer thread: every method only hands off (a flag, a condition variable) and never waits.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/service/claimed_run.h"

namespace flare::daemon {

/// A parked poll kept for one run: who is polling, and the ticket that names the poll.
struct ReservedPoll {
  uint64_t ticket = 0;
  std::string worker_id;
  std::vector<std::string> queues;
  std::vector<std::string> job_types;
};

class ParkedPolls {
 public:
  virtual ~ParkedPolls() = default;
  /// Keeps the longest-parked poll that takes runs of `queue` and `job_type` in
  /// `project_id`; none when no such poll is parked.
  virtual std::optional<ReservedPoll> TryReserve(const std::string& project_id,
                                                 const std::string& queue,
                                                 const std::string& job_type) = 0;
  /// The kept poll's run was claimed and committed: answer the poll with `claim`.
  virtual void Claimed(uint64_t ticket, ClaimedRun claim) = 0;
  /// The kept poll was not used (its transaction rolled back): it waits on.
  virtual void Release(uint64_t ticket) = 0;
};

}  // namespace flare::daemon
