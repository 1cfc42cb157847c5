#include "cli/output.h"

#include <gtest/gtest.h>

#include "tests/unit/cli/cli_test_support.h"

namespace flare::cli {
namespace {

using testing::FakeIo;
using testing::Tty;

const TimePoint kNow = FromMillis(1'773'847'800'000);  // 2026-03-18T15:30:00Z

const nlohmann::json kPage = {
    {"data",
     {{{"id", "job_1"}, {"state", "succeeded"}, {"created_at", "2026-03-18T15:29:00.000Z"}},
      {{"id", "job_22"}, {"state", "dead_letter"}, {"created_at", "2026-03-18T13:30:00.000Z"}}}},
    {"has_more", false},
    {"next_cursor", nullptr}};

const std::vector<Column> kColumns = {
    {"ID", "id"}, {"STATE", "state", CellKind::kState}, {"CREATED", "created_at", CellKind::kTime}};

TEST(Output, PipedTableIsTabSeparatedRfc3339WithoutHeaderOrColour) {
  FakeIo fake;
  Printer(fake.io, OutputFormat::kTable, kNow).List(kPage, kColumns);
  EXPECT_EQ(fake.out.str(),
            "job_1\tsucceeded\t2026-03-18T15:29:00.000Z\n"
            "job_22\tdead_letter\t2026-03-18T13:30:00.000Z\n");
}

TEST(Output, TtyTableIsAlignedColouredWithRelativeTimes) {
  FakeIo fake(Tty(), /*color=*/true);
  Printer(fake.io, OutputFormat::kTable, kNow).List(kPage, kColumns);
  std::string out = fake.out.str();
  EXPECT_NE(out.find("ID"), std::string::npos);
  EXPECT_NE(out.find("1m ago"), std::string::npos);
  EXPECT_NE(out.find("2h ago"), std::string::npos);
  EXPECT_NE(out.find("\x1b[32msucceeded\x1b[0m"), std::string::npos);
  EXPECT_NE(out.find("job_1   "), std::string::npos);  // padded to "job_22" + 2
}

TEST(Output, TtyWithoutColourHasNoEscapes) {
  FakeIo fake(Tty(), /*color=*/false);
  Printer(fake.io, OutputFormat::kTable, kNow).List(kPage, kColumns);
  EXPECT_EQ(fake.out.str().find('\x1b'), std::string::npos);
}

TEST(Output, JsonPrintsTheApiObjectUnchanged) {
  FakeIo fake;
  Printer(fake.io, OutputFormat::kJson, kNow).List(kPage, kColumns);
  EXPECT_EQ(nlohmann::json::parse(fake.out.str()), kPage);
}

TEST(Output, JsonlPrintsOneObjectPerLine) {
  FakeIo fake;
  Printer(fake.io, OutputFormat::kJsonl, kNow).List(kPage, kColumns);
  EXPECT_EQ(fake.out.str(), kPage["data"][0].dump() + "\n" + kPage["data"][1].dump() + "\n");
}

TEST(Output, IdPrintsOneIdPerLine) {
  FakeIo fake;
  Printer printer(fake.io, OutputFormat::kId, kNow);
  printer.List(kPage, kColumns);
  printer.Object(kPage["data"][0], kColumns);
  EXPECT_EQ(fake.out.str(), "job_1\njob_22\njob_1\n");
}

TEST(Output, ObjectTableShowsFieldsAndNestedValues) {
  FakeIo fake;
  nlohmann::json job = {{"id", "job_1"}, {"http", {{"url", "https://x"}}}, {"tags", {{"a", "b"}}}};
  Printer(fake.io, OutputFormat::kTable, kNow)
      .Object(job, {{"id", "id"},
                    {"http", "http.url"},
                    {"tags", "tags", CellKind::kJson},
                    {"missing", "nope"}});
  EXPECT_EQ(fake.out.str(), "id\tjob_1\nhttp\thttps://x\ntags\t{\"a\":\"b\"}\nmissing\t\n");
}

TEST(Output, RelativeTimes) {
  EXPECT_EQ(RelativeTime(kNow - std::chrono::seconds(5), kNow), "5s ago");
  EXPECT_EQ(RelativeTime(kNow + std::chrono::minutes(10), kNow), "in 10m");
  EXPECT_EQ(RelativeTime(kNow - std::chrono::hours(49), kNow), "2d ago");
}

}  // namespace
}  // namespace flare::cli
