#pragma once
// A service's Page (service/page.h) on the wire: {"data": [...], "has_more", "next_cursor"}
// (SPEC §1), each row rendered by `view`.

#include <nlohmann/json.hpp>

#include "daemon/service/context.h"
#include "daemon/service/page.h"

namespace flare::daemon {

template <typename Row, typename View>
nlohmann::json PageView(const Page<Row>& page, View view) {
  nlohmann::json data = nlohmann::json::array();
  for (const Row& row : page.items) data.push_back(view(row));
  return PageJson(std::move(data), page.has_more, page.next_cursor);
}

/// `view` of one row as a view of a page of them, for SendView.
template <typename View>
auto PageViewOf(View view) {
  return [view](const auto& page) { return PageView(page, view); };
}

}  // namespace flare::daemon
