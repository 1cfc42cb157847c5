// Fuzzes a create body from raw bytes through the steps POST /flare/v1/jobs takes before
// the writer (JobService's ValidateCreate): the body parse with its nesting limit, the spec
// validation, the schedule plan, the job row and its serialised columns, and the answer's
// view. ValidateCreate itself is private to job_service.cc; this calls the same public
// functions in the same order, so a change there should be mirrored here.
//
// Properties beyond "does not crash or throw": an accepted spec turns back into a body
// (SpecToBody, the base every PATCH is merged onto) that validates as an update and gives
// the same body again — otherwise a job could be created that no PATCH can ever touch; and
// the job's spec column reads back (SpecFromSettings) as the settings it was written from.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/job_spec.h"
#include "common/json_fields.h"
#include "common/time_format.h"
#include "daemon/service/job_factory.h"
#include "daemon/service/views.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Bodies are capped at 2 MiB by the server; far smaller inputs reach every branch.
constexpr size_t kMaxInput = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return -1;
  auto body = flare::ParseJsonObject(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body) return 0;
  auto spec = flare::ParseJobSpec(*body, flare::SpecUse::kCreate);
  if (!spec) return 0;

  static const flare::TimePoint kNow = *flare::ParseTime("2026-03-08T06:59:30.250Z");
  auto plan = flare::daemon::PlanSchedule(*spec, kNow, kNow);
  if (plan) {
    // BuildJob serializes the payload and tags the writer stores; with the spec column and
    // the 201 answer below, dump() throws on text that is not UTF-8, which must have been
    // refused before this point.
    flare::daemon::JobRecord job = flare::daemon::BuildJob(*spec, "prj_fuzz", kNow);
    nlohmann::json settings = flare::SpecSettings(job.spec);
    job.spec_text = flare::SpecSettingsText(job.spec);
    FUZZ_CHECK(job.spec_text == settings.dump(),
               "the spec column's text is the settings object dumped, byte for byte");
    (void)flare::daemon::JobView(job).dump();
    // What a read of the row shows is what the create held.
    FUZZ_CHECK(
        flare::daemon::StoredJson::FromColumn(job.payload.text()).value() == job.payload.value(),
        "the payload column reads back as the payload it was written from");
    // What the stores read back from the spec column is what was written to it.
    FUZZ_CHECK(flare::SpecSettings(flare::SpecFromSettings(nlohmann::json::parse(job.spec_text))) ==
                   settings,
               "the spec column reads back as the settings it was written from");
    if (plan->recurring) {
      FUZZ_CHECK(plan->next_run_at && *plan->next_run_at > kNow,
                 "a recurring job's first fire is after its creation");
    }
  }

  nlohmann::json base = flare::SpecToBody(*spec);
  auto again = flare::ParseJobSpec(base, flare::SpecUse::kUpdate);
  FUZZ_CHECK(again.ok(), "the body of an accepted spec validates as an update");
  FUZZ_CHECK(flare::SpecToBody(*again) == base, "spec -> body -> spec is stable");
  return 0;
}
