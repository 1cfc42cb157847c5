#pragma once
// What a list operation returns: one page of rows, newest first, and where the next page
// starts. The API edge renders it in the SPEC §1 list shape (api/page_view.h).

#include <string>
#include <vector>

#include "common/time_format.h"
#include "daemon/service/context.h"
#include "daemon/store/records.h"

namespace flare::daemon {

template <typename Row>
struct Page {
  std::vector<Row> items;
  bool has_more = false;
  std::string next_cursor;  // "" when !has_more
};

/// Turns up to limit+1 rows (newest first) into a page: the extra row only says more exist,
/// and the cursor names the last row kept, by `position(row)` (a PageCursor).
template <typename Row, typename Position>
Page<Row> PageOfRows(std::vector<Row> rows, int limit, Position position) {
  Page<Row> page;
  page.has_more = rows.size() > static_cast<size_t>(limit);
  if (page.has_more) {
    rows.pop_back();
    page.next_cursor = EncodeCursor(position(rows.back()));
  }
  page.items = std::move(rows);
  return page;
}

/// The same for rows ordered by (created_at, id), the order of most lists.
template <typename Row>
Page<Row> PageOfRows(std::vector<Row> rows, int limit) {
  return PageOfRows(std::move(rows), limit, [](const Row& row) {
    return PageCursor{ToMillis(row.created_at), row.id};
  });
}

}  // namespace flare::daemon
