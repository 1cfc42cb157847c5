#include "daemon/service/login_throttle.h"

#include <algorithm>
#include <cctype>

namespace flare::daemon {
namespace {

// A bound on the tables: past it, forgotten entries are pruned first; if a flood of
// distinct keys still fills them, the oldest knowledge is dropped rather than memory grown.
constexpr size_t kMaxEntries = 100'000;

}  // namespace

std::string EmailKey(const std::string& email) {
  std::string key = email;
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

std::chrono::seconds LoginThrottle::Wait(const Table& table, const std::string& key,
                                         TimePoint now) const {
  auto it = table.find(key);
  if (it == table.end() || it->second.locked_until <= now) return std::chrono::seconds(0);
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return std::max(left, std::chrono::seconds(1));
}

void LoginThrottle::Count(Table& table, const std::string& key, int free, TimePoint now) {
  if (table.size() >= kMaxEntries) Forget(table, now);
  if (table.size() >= kMaxEntries) table.clear();
  Entry& entry = table[key];
  if (entry.attempts > 0 && now - entry.last_attempt > rules_.forget_after) entry = Entry{};
  ++entry.attempts;
  entry.last_attempt = now;
  // The attempt that reaches `free` locks the next one (unless it succeeds and is undone).
  int extra = entry.attempts - free + 1;
  if (extra <= 0) return;
  auto lock = rules_.base * (int64_t{1} << std::min(extra - 1, 20));
  entry.locked_until = now + std::min<std::chrono::seconds>(lock, rules_.cap);
}

void LoginThrottle::Forget(Table& table, TimePoint now) {
  std::erase_if(table, [&](const auto& item) {
    return item.second.locked_until <= now && now - item.second.last_attempt > rules_.forget_after;
  });
}

std::chrono::seconds LoginThrottle::Admit(const std::string& email, const std::string& address) {
  TimePoint now = clock_.Now();
  std::string key = EmailKey(email);
  std::lock_guard lock(mutex_);
  // An unknown address (no peer name) must not become one key shared by every client.
  bool by_address = !address.empty();
  auto wait = Wait(by_email_, key, now);
  if (by_address) wait = std::max(wait, Wait(by_address_, address, now));
  if (wait.count() > 0) return wait;
  Count(by_email_, key, rules_.free_per_email, now);
  if (by_address) Count(by_address_, address, rules_.free_per_address, now);
  return std::chrono::seconds(0);
}

void LoginThrottle::Succeeded(const std::string& email, const std::string& address) {
  std::lock_guard lock(mutex_);
  by_email_.erase(EmailKey(email));
  // The address keeps counting only failures: a busy client of good logins is not locked.
  if (auto it = by_address_.find(address); it != by_address_.end() && it->second.attempts > 0) {
    --it->second.attempts;
  }
}

}  // namespace flare::daemon
