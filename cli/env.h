#pragma once
// Env: the process environment behind a seam, so tests can hand flarectl a fake one
// (config precedence and the admin-key lookup read variables only through this).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace flare::cli {

class Env {
 public:
  using Vars = std::map<std::string, std::string>;
  /// The real environment (getenv).
  static Env Process();
  /// A fixed environment for tests.
  explicit Env(std::map<std::string, std::string> vars);

  /// The variable's value; an empty value counts as unset.
  std::optional<std::string> Get(std::string_view name) const;
  /// True when the variable is set, even to "" (NO_COLOR is set-means-on).
  bool Has(std::string_view name) const;

 private:
  Env() = default;
  std::optional<std::map<std::string, std::string>> fake_;
};

}  // namespace flare::cli
