#pragma once
// What every service needs: the writer (all writes), readers (all reads), the clock, and
// the notifier that wakes engines after commits.

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "daemon/service/notifier.h"
#include "daemon/store/readers.h"
#include "daemon/store/records.h"
#include "daemon/store/transactions.h"

namespace flare::daemon {

struct ServiceContext {
  Transactions& writer;  // every write (SQLite: the single writer, writer.h)
  Readers& readers;      // every read (SQLite: a pool of read-only connections)
  const Clock& clock;
  WorkNotifier& notifier;
};

/// A page of a newest-first list, in the SPEC §1 shape.
nlohmann::json PageJson(nlohmann::json data, bool has_more, const std::string& next_cursor);
/// The position a cursor names; none for "" (the first page).
Result<std::optional<PageCursor>> CursorFrom(const std::string& text);
/// Cursor text ↔ position. A cursor that does not decode is a 400.
std::string EncodeCursor(const PageCursor& cursor);
Result<PageCursor> DecodeCursor(const std::string& text);
}  // namespace flare::daemon
