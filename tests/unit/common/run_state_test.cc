#include "common/run_state.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace flare {
namespace {

TEST(RunState, EveryStateRoundTripsThroughItsSpelling) {
  std::set<std::string_view> spellings;
  for (RunState state : kAllRunStates) {
    std::string_view text = ToString(state);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(ParseRunState(text), state) << text;
    spellings.insert(text);
  }
  EXPECT_EQ(spellings.size(), kAllRunStates.size()) << "two states share a spelling";
}

// The spelling is stored in existing data dirs and sent over the wire: it must not change.
TEST(RunState, SpellingsAreTheStoredAndWireOnes) {
  EXPECT_EQ(ToString(RunState::kPending), "pending");
  EXPECT_EQ(ToString(RunState::kScheduled), "scheduled");
  EXPECT_EQ(ToString(RunState::kProcessing), "processing");
  EXPECT_EQ(ToString(RunState::kSucceeded), "succeeded");
  EXPECT_EQ(ToString(RunState::kFailed), "failed");
  EXPECT_EQ(ToString(RunState::kDeadLetter), "dead_letter");
  EXPECT_EQ(ToString(RunState::kCancelled), "cancelled");
}

TEST(RunState, TerminalAreSucceededDeadLetterAndCancelled) {
  std::set<RunState> terminal;
  for (RunState state : kAllRunStates)
    if (IsTerminal(state)) terminal.insert(state);
  EXPECT_EQ(terminal, (std::set<RunState>{RunState::kSucceeded, RunState::kDeadLetter,
                                          RunState::kCancelled}));
  static_assert(!IsTerminal(RunState::kFailed), "a failed attempt still has a retry due");
}

TEST(RunState, UnknownSpellingsAreNotStates) {
  for (std::string_view text : {"", "PENDING", "Pending", "pending ", " pending", "dead-letter",
                                "deadletter", "retrying", "canceled", "active", "pend"}) {
    EXPECT_EQ(ParseRunState(text), std::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(ParseRunState(std::string_view("pending\0", 8)), std::nullopt);
}

TEST(RunState, JsonHoldsTheSpellingNotTheNumber) {
  nlohmann::json json = {{"state", RunState::kDeadLetter}};
  EXPECT_EQ(json.dump(), R"({"state":"dead_letter"})");
  EXPECT_EQ(json["state"].get<RunState>(), RunState::kDeadLetter);
  EXPECT_THROW(nlohmann::json("nope").get<RunState>(), nlohmann::json::type_error);
  EXPECT_THROW(nlohmann::json(3).get<RunState>(), nlohmann::json::type_error);
}

}  // namespace
}  // namespace flare
