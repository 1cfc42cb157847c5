#pragma once
// IDs are a prefix and a 26-character Crockford base32 ULID: "job_01HYX3K7M8N9P2Q4R5S6T7U8V9".
// The generator is monotonic: within one millisecond the random part is incremented, so
// ids made by one process sort in creation order (lists rely on this for ties).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time_format.h"

namespace flare {

/// A new id "<prefix>_<ULID>" stamped with `now`.
std::string NewId(std::string_view prefix, TimePoint now);
/// A new id stamped with the system clock.
std::string NewId(std::string_view prefix);
/// Makes every later id of this process sort after `id` ("<prefix>_<ULID>"), even when the
/// clock is behind it (flared calls it with the last stored event id at start). Ids that
/// are not well-formed are ignored.
void ObserveIssuedId(std::string_view id);
/// The time stamped into "<prefix>_<ULID>"; none when the ULID is not well-formed.
std::optional<TimePoint> IdTimestamp(std::string_view id);
/// True when `id` is "<prefix>_" followed by 26 Crockford base32 characters.
bool IsValidId(std::string_view id, std::string_view prefix);
/// Random bytes from the OS CSPRNG, as lowercase hex (2 chars per byte).
std::string RandomHex(size_t bytes);
/// Random bytes from the OS CSPRNG, as Crockford base32 (for secrets and keys).
std::string RandomBase32(size_t chars);

}  // namespace flare
