#pragma once
// What every service needs: the writer (all writes), readers (all reads), the clock, and
// the notifier that wakes engines after commits.

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "daemon/service/notifier.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/records.h"
#include "daemon/store/writer.h"

namespace flare::daemon {

struct ServiceContext {
  Writer& writer;
  ReaderPool& readers;
  const Clock& clock;
  WorkNotifier& notifier;
};

/// A page of a newest-first list, in the SPEC §1 shape.
nlohmann::json PageJson(nlohmann::json data, bool has_more, const std::string& next_cursor);
/// Cursor text ↔ position. A cursor that does not decode is a 400.
std::string EncodeCursor(const PageCursor& cursor);
Result<PageCursor> DecodeCursor(const std::string& text);

}  // namespace flare::daemon
