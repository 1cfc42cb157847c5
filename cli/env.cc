#include "cli/env.h"

#include <cstdlib>
#include <utility>

namespace flare::cli {

Env Env::Process() { return Env(); }

Env::Env(std::map<std::string, std::string> vars) : fake_(std::move(vars)) {}

bool Env::Has(std::string_view name) const {
  if (fake_) return fake_->count(std::string(name)) > 0;
  return std::getenv(std::string(name).c_str()) != nullptr;
}

std::optional<std::string> Env::Get(std::string_view name) const {
  std::string value;
  if (fake_) {
    auto it = fake_->find(std::string(name));
    if (it == fake_->end()) return std::nullopt;
    value = it->second;
  } else {
    const char* raw = std::getenv(std::string(name).c_str());
    if (raw == nullptr) return std::nullopt;
    value = raw;
  }
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace flare::cli
