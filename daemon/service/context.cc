#include "daemon/service/context.h"

#include "common/encoding.h"

namespace flare::daemon {

nlohmann::json PageJson(nlohmann::json data, bool has_more, const std::string& next_cursor) {
  return {{"data", std::move(data)},
          {"has_more", has_more},
          {"next_cursor", has_more ? nlohmann::json(next_cursor) : nlohmann::json(nullptr)}};
}

std::string EncodeCursor(const PageCursor& cursor) {
  return Base64UrlEncode(nlohmann::json{{"c", cursor.created_ms}, {"i", cursor.id}}.dump());
}

Result<PageCursor> DecodeCursor(const std::string& text) {
  auto bad =
      InvalidRequest("cursor is not one this API returned; pass next_cursor unchanged", "cursor");
  auto raw = Base64UrlDecode(text);
  if (!raw) return bad;
  auto parsed = nlohmann::json::parse(*raw, nullptr, false);
  if (!parsed.is_object() || !parsed["c"].is_number_integer() || !parsed["i"].is_string()) {
    return bad;
  }
  return PageCursor{parsed["c"].get<int64_t>(), parsed["i"].get<std::string>()};
}

Result<std::optional<PageCursor>> CursorFrom(const std::string& text) {
  if (text.empty()) return std::optional<PageCursor>();
  auto decoded = DecodeCursor(text);
  if (!decoded) return decoded.error();
  return std::optional<PageCursor>(*decoded);
}

}  // namespace flare::daemon
