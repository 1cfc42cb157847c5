#include "common/run_state.h"

#include <nlohmann/json.hpp>

namespace flare {

std::optional<RunState> ParseRunState(std::string_view text) {
  for (RunState state : kAllRunStates)
    if (ToString(state) == text) return state;
  return std::nullopt;
}

void to_json(nlohmann::json& json, RunState state) { json = ToString(state); }

void from_json(const nlohmann::json& json, RunState& state) {
  std::optional<RunState> parsed;
  if (json.is_string()) parsed = ParseRunState(json.get_ref<const std::string&>());
  if (!parsed)
    throw nlohmann::json::type_error::create(302, "not a run state: " + json.dump(), &json);
  state = *parsed;
}

}  // namespace flare
