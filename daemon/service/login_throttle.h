#pragma once
// Slows password guessing. Every login attempt is counted against its email and against
// the client address BEFORE the password is checked (so parallel guesses count too); a
// successful login clears the email's count. Past a few free attempts a key is locked for
// base·2^(extra attempts), capped at 15 minutes, and attempts during a lock are refused
// (429 + Retry-After) without running the KDF at all. Counts fade an hour after the last
// attempt. The address limit is looser (shared NATs) but stops one client from spraying
// guesses over many emails. In memory only: a restart forgets the counts, which costs an
// attacker a restart they cannot cause.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace flare::daemon {

struct LoginThrottleRules {
  int free_per_email = 5;
  int free_per_address = 20;
  std::chrono::seconds base{1};
  std::chrono::seconds cap{15 * 60};
  std::chrono::seconds forget_after{60 * 60};
};

class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock& clock, LoginThrottleRules rules = {})
      : clock_(clock), rules_(rules) {}

  /// 0 when the attempt may go ahead (and is then counted); otherwise the seconds to wait.
  std::chrono::seconds Admit(const std::string& email, const std::string& address);
  /// The password was right: the email's count starts again and the address's attempt is
  /// taken back.
  void Succeeded(const std::string& email, const std::string& address);

 private:
  struct Entry {
    int attempts = 0;
    TimePoint last_attempt;
    TimePoint locked_until;
  };
  using Table = std::unordered_map<std::string, Entry>;

  std::chrono::seconds Wait(const Table& table, const std::string& key, TimePoint now) const;
  void Count(Table& table, const std::string& key, int free, TimePoint now);
  void Forget(Table& table, TimePoint now);

  const Clock& clock_;
  LoginThrottleRules rules_;
  std::mutex mutex_;
  Table by_email_;
  Table by_address_;
};

/// The lower-case form emails are counted (and looked up) by.
std::string EmailKey(const std::string& email);

}  // namespace flare::daemon
