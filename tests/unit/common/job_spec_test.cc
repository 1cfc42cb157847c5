// A job's stored settings (the `spec` column) read back into the JobSpec they were written
// from: every setting survives the trip, and a column that no longer passes today's rules, or
// carries keys this version does not know, still reads.

#include "common/job_spec.h"

#include <gtest/gtest.h>

#include <vector>

namespace flare {
namespace {

const nlohmann::json kFullBody = {
    {"job_type", "report"},
    {"payload", {{"n", 1}}},
    {"queue", "nightly"},
    {"tags", {{"team", "core"}}},
    {"max_attempts", 7},
    {"timeout_seconds", 90},
    {"name", "Nightly report"},
    {"slug", "nightly-report"},
    {"description", "sends the report"},
    {"schedule", "30 2 * * *"},
    {"timezone", "Europe/Berlin"},
    {"http",
     {{"method", "PUT"},
      {"url", "https://example.com/hooks/nightly"},
      {"headers", {{{"name", "Authorization"}, {"value", "Bearer s3cret"}}}},
      {"body", "{}"},
      {"success_status", "200"},
      {"follow_redirects", 2}}},
    {"retry",
     {{"strategy", "exponential"}, {"initial_delay_seconds", 30}, {"max_delay_seconds", 600}}},
    {"priority", -5},
    {"concurrency_policy", "forbid"},
    {"misfire_policy", "run_all"},
    {"enabled", false},
};

TEST(JobSpecSettings, EverySettingSurvivesTheColumnAndBack) {
  Result<JobSpec> spec = ParseJobSpec(kFullBody);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  nlohmann::json column = SpecSettings(*spec);
  JobSpec read = SpecFromSettings(column);
  EXPECT_EQ(SpecSettings(read), column);
  EXPECT_EQ(read.max_attempts, 7);
  EXPECT_EQ(read.timeout_seconds, 90);
  EXPECT_EQ(read.slug, "nightly-report");
  EXPECT_EQ(read.schedule, "30 2 * * *");
  EXPECT_EQ(read.timezone, "Europe/Berlin");
  ASSERT_TRUE(read.http);
  EXPECT_EQ(read.http->method, "PUT");
  EXPECT_EQ(read.http->headers.at(0).second, "Bearer s3cret") << "the stored spec keeps secrets";
  EXPECT_EQ(read.http->follow_redirects, 2);
  EXPECT_EQ(read.priority, -5);
  EXPECT_EQ(read.concurrency_policy, ConcurrencyPolicy::kForbid);
  EXPECT_EQ(read.misfire_policy, MisfirePolicy::kRunAll);
  EXPECT_FALSE(read.enabled);
  // The record keeps these in its own fields, so the column does not hold them.
  EXPECT_EQ(read.job_type, "");
  EXPECT_EQ(read.queue, "default");
  EXPECT_EQ(read.payload, nlohmann::json::object());
  EXPECT_TRUE(read.tags.is_null());
}

// The column's text is written without building the JSON object; it must be the object's
// dump() to the byte (the same keys in the same order, the same escaping), since readers
// remember specs by their text.
TEST(JobSpecSettings, TheColumnTextIsTheSettingsObjectDumped) {
  std::vector<nlohmann::json> bodies = {
      kFullBody,
      {{"job_type", "t"}, {"payload", nlohmann::json::object()}},
      {{"job_type", "t"},
       {"payload", nlohmann::json::object()},
       {"run_at", "2026-03-08T06:59:30.250Z"},
       {"name", "quote \" backslash \\ tab \t newline \n bell \u0007 é 日本 🙂"},
       {"retry", {{"strategy", "custom"}, {"delays_seconds", {1, 5, 30}}, {"jitter", false}}}},
      {{"http",
        {{"url", "http://127.0.0.1:9/x?a=1&b=\"2\""},
         {"headers",
          {{{"name", "X-A"}, {"value", "v\u0001\"</script>"}}, {{"name", "X-B"}, {"value", ""}}}},
         {"body", "{\"k\": [1, 2]}"},
         {"ca_cert", "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"},
         {"tls_verify", false},
         {"follow_redirects", true}}},
       {"schedule", "@every 10s"},
       {"timezone", "America/New_York"},
       {"priority", 100},
       {"misfire_policy", "skip"},
       {"concurrency_policy", "replace"}},
  };
  for (const nlohmann::json& body : bodies) {
    Result<JobSpec> spec = ParseJobSpec(body);
    ASSERT_TRUE(spec.ok()) << spec.error().message << " " << body.dump();
    EXPECT_EQ(SpecSettingsText(*spec), SpecSettings(*spec).dump()) << body.dump();
  }
  EXPECT_EQ(SpecSettingsText(JobSpec{}), SpecSettings(JobSpec{}).dump());
}

TEST(JobSpecSettings, AOneOffRunAtComesBackAsTheSameInstant) {
  Result<JobSpec> spec = ParseJobSpec({{"job_type", "t"},
                                       {"payload", nlohmann::json::object()},
                                       {"run_at", "2026-12-04T05:06:07.089Z"}});
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  JobSpec read = SpecFromSettings(SpecSettings(*spec));
  ASSERT_TRUE(read.run_at);
  EXPECT_EQ(FormatTime(*read.run_at), "2026-12-04T05:06:07.089Z");
  EXPECT_EQ(read.timeout_seconds, 1800) << "a worker job's default";
}

TEST(JobSpecSettings, ASettingThatNoLongerPassesKeepsItsDefaultAndTheRestStillRead) {
  JobSpec read = SpecFromSettings({{"priority", 1000},  // beyond today's -100..100
                                   {"misfire_policy", "whenever"},
                                   {"schedule", "@every 10s"},
                                   {"a_setting_from_a_later_version", true}});
  EXPECT_EQ(read.priority, 0);
  EXPECT_EQ(read.misfire_policy, MisfirePolicy::kRunOnce);
  EXPECT_EQ(read.schedule, "@every 10s");
  EXPECT_TRUE(read.enabled) << "an unknown key is not read as any other setting";
}

TEST(JobSpecSettings, AColumnThatIsNotAnObjectReadsAsTheDefaults) {
  JobSpec read = SpecFromSettings(nullptr);
  EXPECT_EQ(SpecSettings(read), SpecSettings(SpecFromSettings(nlohmann::json::object())));
  EXPECT_TRUE(read.enabled);
  EXPECT_FALSE(read.http);
}

}  // namespace
}  // namespace flare
