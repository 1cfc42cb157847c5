#pragma once
// The prose topics of `flarectl help TOPIC` (also the man page's ENVIRONMENT, EXIT STATUS and
// OUTPUT sections, so the two never disagree).

#include <string>
#include <vector>

namespace flare::cli {

struct HelpTopic {
  const char* name;
  const char* title;
  const char* text;
};

/// environment, exit-codes, output, worker.
const std::vector<HelpTopic>& HelpTopics();
/// The topic called `name`, or nullptr.
const HelpTopic* FindHelpTopic(const std::string& name);

}  // namespace flare::cli
