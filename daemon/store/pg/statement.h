#pragma once
// One statement and its parameters, as a session queues it (Connection::Defer).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace flare::daemon::pg {

/// One parameter of Exec, sent as text; std::nullopt (or an empty optional) is SQL NULL.
class PgParam {
 public:
  PgParam(std::nullopt_t) {}
  PgParam(std::string text) : text_(std::move(text)) {}
  PgParam(std::string_view text) : text_(std::string(text)) {}
  PgParam(const char* text) : text_(std::string(text)) {}
  PgParam(bool value) : text_(value ? "t" : "f") {}
  template <typename Integer, typename = std::enable_if_t<std::is_integral_v<Integer> &&
                                                          !std::is_same_v<Integer, bool>>>
  PgParam(Integer value) : text_(std::to_string(value)) {}
  template <typename T>
  PgParam(const std::optional<T>& value) {
    if (value) text_ = PgParam(*value).text_;
  }

  /// The text libpq sends, or null for SQL NULL.
  const char* c_str() const { return text_ ? text_->c_str() : nullptr; }

 private:
  std::optional<std::string> text_;
};

struct Statement {
  std::string sql;
  std::vector<PgParam> params;
};

}  // namespace flare::daemon::pg
