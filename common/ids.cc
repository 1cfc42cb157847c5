#include "common/ids.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace flare {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void FillRandom(unsigned char* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

// Random bytes for ids' random parts, drawn from RAND_bytes a block at a time: each call of
// OpenSSL's generator costs ~6,700 instructions whatever its size (its locks and reseed
// checks), ~12 K of a create's ~535 K, and the writer makes an id for every run, lease and
// event. An id's random part is not a secret (ids of one millisecond count up from the
// first), so holding the next ones in memory gives nothing away. Secrets (keys, webhook
// secrets) keep drawing from RAND_bytes directly (RandomHex, RandomBase32).
class RandomPool {
 public:
  void Take(unsigned char* out, size_t n) {
    if (n > bytes_.size() - used_) {
      FillRandom(bytes_.data(), bytes_.size());
      used_ = 0;
    }
    std::memcpy(out, bytes_.data() + used_, n);
    used_ += n;
  }
  // A forked child must not hand out the bytes its parent will also use.
  void Forget() { used_ = bytes_.size(); }

 private:
  std::array<unsigned char, 1024> bytes_{};
  size_t used_ = bytes_.size();
};

// ULID state shared by every thread: last timestamp and its 80-bit random part.
struct UlidState {
  std::mutex mutex;
  int64_t last_ms = -1;
  std::array<unsigned char, 10> random{};
  RandomPool pool;
};

UlidState& State() {
  static UlidState* state = [] {
    auto* made = new UlidState;  // never destroyed: ids may be made while the process exits
    pthread_atfork(nullptr, nullptr, [] { State().pool.Forget(); });
    return made;
  }();
  return *state;
}

bool IncrementRandom(std::array<unsigned char, 10>& random) {
  for (int i = 9; i >= 0; --i) {
    if (++random[i] != 0) return true;
  }
  return false;  // overflow: 2^80 ids in one millisecond
}

std::string EncodeUlid(int64_t ms, const std::array<unsigned char, 10>& random) {
  // 128 bits as two words: 48 bits of time and 16 of randomness, then 64 of randomness.
  uint64_t high = static_cast<uint64_t>(ms) & 0xFFFF'FFFF'FFFFu;
  uint64_t low = 0;
  for (int i = 0; i < 2; ++i) high = (high << 8) | random[static_cast<size_t>(i)];
  for (int i = 2; i < 10; ++i) low = (low << 8) | random[static_cast<size_t>(i)];
  // 26 base32 digits, most significant first (the first holds the top 3 bits), written from
  // the last: the writer makes an id per event and run, and a loop over single bits cost
  // ~2,800 instructions an id where this takes ~200.
  std::string out(26, '0');
  for (int digit = 25; digit >= 0; --digit) {
    out[static_cast<size_t>(digit)] = kCrockford[low & 31];
    low = (low >> 5) | (high << 59);
    high >>= 5;
  }
  return out;
}

// The inverse of EncodeUlid; false when `text` is not 26 Crockford digits.
bool DecodeUlid(std::string_view text, int64_t& ms, std::array<unsigned char, 10>& random) {
  if (text.size() != 26) return false;
  std::array<unsigned char, 16> bytes{};
  for (int digit = 0; digit < 26; ++digit) {
    size_t value = kCrockford.find(text[static_cast<size_t>(digit)]);
    if (value == std::string_view::npos) return false;
    for (int k = 0; k < 5; ++k) {
      int bit = digit * 5 + k - 2;
      if (((value >> (4 - k)) & 1) == 0) continue;
      if (bit < 0) return false;  // more than 128 bits
      bytes[bit / 8] |= static_cast<unsigned char>(1 << (7 - bit % 8));
    }
  }
  ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes[i];
  for (int i = 0; i < 10; ++i) random[i] = bytes[6 + i];
  return true;
}

}  // namespace

void ObserveIssuedId(std::string_view id) {
  size_t underscore = id.find('_');
  if (underscore == std::string_view::npos) return;
  int64_t ms = 0;
  std::array<unsigned char, 10> random{};
  if (!DecodeUlid(id.substr(underscore + 1), ms, random)) return;
  UlidState& state = State();
  std::lock_guard lock(state.mutex);
  if (ms < state.last_ms || (ms == state.last_ms && random <= state.random)) return;
  state.last_ms = ms;
  state.random = random;  // the next id of this millisecond increments past it
}

std::optional<TimePoint> IdTimestamp(std::string_view id) {
  size_t underscore = id.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  int64_t ms = 0;
  std::array<unsigned char, 10> random{};
  if (!DecodeUlid(id.substr(underscore + 1), ms, random)) return std::nullopt;
  return FromMillis(ms);
}

std::string NewId(std::string_view prefix, TimePoint now) {
  int64_t ms = ToMillis(now);
  std::array<unsigned char, 10> random;
  {
    UlidState& state = State();
    std::lock_guard lock(state.mutex);
    if (ms <= state.last_ms) {
      ms = state.last_ms;  // clock went back or same ms: stay monotonic
      if (!IncrementRandom(state.random)) {
        ++ms;
        state.pool.Take(state.random.data(), state.random.size());
      }
    } else {
      state.pool.Take(state.random.data(), state.random.size());
    }
    state.last_ms = ms;
    random = state.random;
  }
  std::string id;
  id.reserve(prefix.size() + 27);
  id.append(prefix).append("_").append(EncodeUlid(ms, random));
  return id;
}

std::string NewId(std::string_view prefix) {
  return NewId(prefix, std::chrono::time_point_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now()));
}

bool IsValidId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 27) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '_') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (kCrockford.find(c) == std::string_view::npos) return false;
  }
  return id[prefix.size() + 1] <= '7';  // 128 bits: the first digit is at most 7
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  FillRandom(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string RandomBase32(size_t chars) {
  std::string raw(chars, '\0');
  FillRandom(reinterpret_cast<unsigned char*>(raw.data()), chars);
  std::string out;
  out.reserve(chars);
  for (unsigned char c : raw) out.push_back(kCrockford[c & 31]);
  return out;
}

}  // namespace flare
