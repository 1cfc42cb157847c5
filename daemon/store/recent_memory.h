#pragma once
// A bounded map from text to a value that forgets the entry used least recently.

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace flare::daemon {

/// Not thread-safe: its owner locks (see stored_spec.cc).
template <typename Value>
class RecentMemory {
 public:
  explicit RecentMemory(size_t capacity) : capacity_(capacity) {}

  /// The value remembered for `key`, now the most recently used; null when there is none.
  const Value* Find(std::string_view key) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &found->second->second;
  }

  /// Remembers `value` for `key`, which Find did not know; when full, the least recently
  /// used entry is forgotten first.
  const Value& Remember(std::string key, Value value) {
    if (entries_.size() >= capacity_ && !entries_.empty()) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    entries_.emplace_front(std::move(key), std::move(value));
    index_.emplace(entries_.front().first, entries_.begin());
    return entries_.front().second;
  }

  size_t size() const { return entries_.size(); }

 private:
  using Entries = std::list<std::pair<std::string, Value>>;
  size_t capacity_;
  Entries entries_;  // most recently used first
  // Keyed by views of the entries' own keys: list nodes never move, splice included.
  std::unordered_map<std::string_view, typename Entries::iterator> index_;
};

}  // namespace flare::daemon
