// A job's payload and tags stay the text the store holds until something shows them, and its
// spec column is read through a per-thread memory of recent texts: neither may change what a
// job reads back as.

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "daemon/store/job_repository.h"
#include "daemon/store/schema.h"
#include "daemon/store/stored_spec.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

TEST(StoredJsonTest, AValueFlaredBuiltKeepsItsValueAndItsText) {
  StoredJson built = StoredJson::Of({{"to", "ana@example.com"}, {"n", 3}});
  EXPECT_EQ(built.text(), R"({"n":3,"to":"ana@example.com"})");
  EXPECT_EQ(built.value(), nlohmann::json({{"to", "ana@example.com"}, {"n", 3}}));
  EXPECT_FALSE(built.is_null());
}

TEST(StoredJsonTest, NullIsAnEmptyTextAndColumnTextParsesOnDemand) {
  EXPECT_TRUE(StoredJson().is_null());
  EXPECT_TRUE(StoredJson().value().is_null());
  EXPECT_TRUE(StoredJson::Of(nullptr).is_null());
  EXPECT_TRUE(StoredJson::FromColumn("").value().is_null());
  StoredJson read = StoredJson::FromColumn(R"({"b": [1, 2], "a": {"c": null}})");
  EXPECT_EQ(read.value(), nlohmann::json::parse(R"({"a": {"c": null}, "b": [1, 2]})"));
  EXPECT_EQ(read.value(), read.value()) << "each call parses the same text alike";
}

class StoredJobColumnsTest : public ::testing::Test {
 protected:
  void SetUp() override { MigrateSchema(c_); }

  JobRecord NewJob(const std::string& id) {
    JobRecord job;
    job.id = id;
    job.project_id = "prj_a";
    job.job_type = "email.send";
    job.queue = "email";
    job.created_at = job.updated_at = TimePoint{} + std::chrono::seconds(1'700'000'000);
    return job;
  }
  std::string Column(const std::string& id, const std::string& column) {
    SQLite::Statement st(c_.db(), "SELECT " + column + " FROM jobs WHERE id = ?1");
    st.bind(1, id);
    return st.executeStep() && !st.getColumn(0).isNull() ? st.getColumn(0).getString() : "NULL";
  }

  testing::TempDir dir_;
  Connection c_{(dir_ / "jobs.db").string(), Durability::kNormal, Access::kReadWrite};
};

TEST_F(StoredJobColumnsTest, PayloadAndTagsReadBackAsWrittenAndAreSavedBackByteForByte) {
  JobRecord job = NewJob("job_1");
  // Spacing and key order a client or another store may have left: kept as they are.
  job.payload = StoredJson::FromColumn(R"({"z": 1, "a": ["x", {"k": "é"}]})");
  job.tags = StoredJson::Of({{"env", "prod"}});
  InsertJob(c_, job);
  auto found = FindJob(c_, "prj_a", "job_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->payload.value(), nlohmann::json::parse(R"({"a": ["x", {"k": "é"}], "z": 1})"));
  EXPECT_EQ(found->tags.value(), nlohmann::json({{"env", "prod"}}));
  found->attempt = 2;
  SaveJob(c_, *found);
  EXPECT_EQ(Column("job_1", "payload"), R"({"z": 1, "a": ["x", {"k": "é"}]})");
  EXPECT_EQ(Column("job_1", "tags"), R"({"env":"prod"})");
}

TEST_F(StoredJobColumnsTest, AJobWithoutTagsStoresNullAndAnEmptyPayloadStoresTheEmptyObject) {
  JobRecord job = NewJob("job_2");
  job.payload = StoredJson();  // never built so by a create; stored as the empty object
  InsertJob(c_, job);
  EXPECT_EQ(Column("job_2", "tags"), "NULL");
  EXPECT_EQ(Column("job_2", "payload"), "{}");
  auto found = FindJob(c_, "prj_a", "job_2");
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->tags.is_null());
  EXPECT_EQ(found->payload.value(), nlohmann::json::object());
}

TEST(StoredSpecTest, EachTextReadsAsItsOwnSpecHoweverManyKindsAreRead) {
  // More kinds than a thread remembers, read in turn and again: the memory only saves the
  // parse, it never answers one text with another's spec.
  const int kinds = static_cast<int>(kRememberedSpecs) + 41;
  for (int round = 0; round < 3; ++round) {
    for (int kind = 0; kind < kinds; ++kind) {
      int priority = kind % 41 - 20;
      int delay = 30 + kind;
      std::string text = R"({"max_attempts":4,"priority":)" + std::to_string(priority) +
                         R"(,"retry":{"strategy":"fixed","initial_delay_seconds":)" +
                         std::to_string(delay) + "}}";
      JobSpec spec = SpecFromColumn(text)->spec;
      EXPECT_EQ(spec.priority, priority) << text;
      EXPECT_EQ(spec.max_attempts, 4);
      EXPECT_EQ(spec.retry.initial_delay_seconds, delay) << text;
      EXPECT_EQ(SpecSettings(spec), SpecSettings(SpecFromSettings(nlohmann::json::parse(text))));
    }
  }
}

TEST(StoredSpecTest, AnEmptyOrUnreadableColumnReadsAsTheDefaults) {
  EXPECT_EQ(SpecSettings(SpecFromColumn("")->spec), SpecSettings(SpecFromSettings(nullptr)));
  EXPECT_EQ(SpecSettings(SpecFromColumn("{not json")->spec),
            SpecSettings(SpecFromSettings(nullptr)));
}

TEST(StoredSpecTest, ASpecHandedBackIsFoundForItsTextWithoutAParse) {
  const std::string text = R"({"priority":9,"timeout_seconds":77})";
  auto first = SpecFromColumn(text);
  EXPECT_EQ(first->text, text);
  EXPECT_EQ(first->spec.priority, 9);
  // More other texts than the memory holds: the first is forgotten...
  for (size_t i = 0; i <= kRememberedSpecs; ++i) {
    (void)SpecFromColumn(R"({"priority":)" + std::to_string(i % 100) + R"(,"name":"n)" +
                         std::to_string(i) + "\"}");
  }
  EXPECT_NE(SpecFromColumn(text), first);  // parsed again: another object
  // ...unless it is handed back, as the executor does with what a fire read.
  for (size_t i = 0; i <= kRememberedSpecs; ++i) {
    (void)SpecFromColumn(R"({"priority":1,"name":"m)" + std::to_string(i) + "\"}");
  }
  RememberSpec(first);
  EXPECT_EQ(SpecFromColumn(text), first);
  // It answers only its own text: a changed column is parsed.
  auto changed = SpecFromColumn(R"({"priority":9,"timeout_seconds":78})");
  EXPECT_EQ(changed->spec.timeout_seconds, 78);
  RememberSpec(nullptr);  // a run announced without a spec: nothing to hand back
}

TEST(StoredSpecTest, ThreadsShareOneBoundedMemory) {
  // A spec read on one thread is found on another, and however many threads read, the
  // memory holds at most kRememberedSpecs (a memory per thread grew with the request threads).
  const std::string text = R"({"priority":3,"name":"shared-across-threads"})";
  std::shared_ptr<const ParsedSpec> first;
  std::thread([&] { first = SpecFromColumn(text); }).join();
  EXPECT_EQ(SpecFromColumn(text), first);
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([t] {
      for (size_t i = 0; i < kRememberedSpecs; ++i) {
        auto spec = SpecFromColumn(R"({"priority":)" + std::to_string(t) + R"(,"name":"t)" +
                                   std::to_string(t) + "-" + std::to_string(i) + "\"}");
        EXPECT_EQ(spec->spec.priority, t);
      }
    });
  }
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(RememberedSpecCount(), kRememberedSpecs);
}

TEST(StoredSpecTest, AThreadWithAMemoryOfItsOwnIsNotCrowdedOutByTheOthers) {
  // The writer's thread keeps what it read however much the other threads read.
  const std::string text = R"({"priority":5,"name":"kept-by-the-writer"})";
  std::shared_ptr<const ParsedSpec> kept;
  std::thread([&] {
    GiveThisThreadItsOwnSpecMemory();
    kept = SpecFromColumn(text);
    std::thread([] {
      for (size_t i = 0; i <= kRememberedSpecs; ++i)
        (void)SpecFromColumn(R"({"priority":1,"name":"crowd)" + std::to_string(i) + "\"}");
    }).join();
    EXPECT_EQ(SpecFromColumn(text), kept);
    EXPECT_EQ(RememberedSpecCount(), 1u);
  }).join();
  // The others never saw it: theirs is the shared memory, now full of the crowd.
  EXPECT_NE(SpecFromColumn(text), kept);
}

}  // namespace
}  // namespace flare::daemon
