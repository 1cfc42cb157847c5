#pragma once
// The job detail object (JobView) written straight into a buffer from a record whose JSON
// columns are stored text (JobsCreatedBetween): no JSON tree is built per row. An export of a
// million jobs spent most of its time building, parsing and freeing nlohmann trees; this
// writes the same object (same keys, same values; parsed back it equals GET /jobs/{id}) at
// a fraction of the cost. Only an HTTP job's target is parsed, to mask its header values.

#include <string>
#include <string_view>

#include "daemon/store/records.h"

namespace flare::daemon {

/// Appends JobView(job) as compact JSON; `job` carries payload_text, tags_text, spec_text
/// and error_text.
void AppendJobJson(std::string& out, const JobRecord& job);
/// Appends `text` as a JSON string literal.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace flare::daemon
