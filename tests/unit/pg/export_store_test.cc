// PgExportStore against a real PostgreSQL: keyset pages of jobs and runs in (created_at, id)
// order over the window [from, until], resumed strictly after a cursor, each column of a
// row readable with its type through ExportRow.

#include "daemon/store/postgres/export_store.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::export_store_test {
namespace {

using J = JobColumn;
using R = RunColumn;

class PgExportStoreTest : public ::testing::Test {
 protected:
  PgExportStoreTest() : db_(database_.uri()), store_(Session{db_, nullptr}) {
    pg::Migrate(db_, pg::FlareSchema());
  }

  // A job with only its required columns set.
  void AddJob(const std::string& id, int64_t created_at, const std::string& project = "prj_1") {
    db_.Exec(
        "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
        "version, state, attempt, max_attempts, created_at, updated_at) VALUES ($1, $2, "
        "'email', 'default', '{}', '{}', 0, 1, 1, 'scheduled', 0, 3, $3, $3)",
        id, project, created_at);
  }
  // A run with only its required columns set.
  void AddRun(const std::string& id, int64_t created_at) {
    db_.Exec(
        "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
        "max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at) "
        "VALUES ($1, 'prj_1', 'job_1', 2, 'api', 'pending', 1, 3, 60, 'default', 'email', 0, 0, "
        "$2)",
        id, created_at);
  }

  static ExportWindow Window(int64_t from, int64_t until) {
    return {"prj_1", FromMillis(from), FromMillis(until), std::nullopt};
  }

  // (created_at, id) of every job of the window, read `limit` rows a page from the start.
  std::vector<std::pair<int64_t, std::string>> AllJobPages(ExportWindow window, int limit,
                                                           int* pages) {
    std::vector<std::pair<int64_t, std::string>> keys;
    *pages = 0;
    for (int page = 0; page < 100; ++page) {  // bounded: a page reads >= 1 row or ends
      int read = store_.ReadJobPage(window, limit, [&](const ExportRow& row) {
        keys.emplace_back(row.Int(J::kCreatedAt), std::string(row.Text(J::kId)));
        return true;
      });
      ++*pages;
      if (read < limit) break;
      window.after = PageCursor{keys.back().first, keys.back().second};
    }
    return keys;
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
  PgExportStore store_;
};

TEST_F(PgExportStoreTest, PagesFollowCreatedAtThenIdAcrossEqualTimes) {
  AddJob("job_d", 2000);
  AddJob("job_c", 1000);
  AddJob("job_a", 1000);
  AddJob("job_e", 3000);
  AddJob("job_b", 1000);
  int pages = 0;
  auto keys = AllJobPages(Window(0, 10'000), 2, &pages);
  std::vector<std::pair<int64_t, std::string>> expected{
      {1000, "job_a"}, {1000, "job_b"}, {1000, "job_c"}, {2000, "job_d"}, {3000, "job_e"}};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(pages, 3);
}

TEST_F(PgExportStoreTest, TheWindowHoldsFromAndUntilThemselvesAndNothingOutside) {
  AddJob("job_before", 999);
  AddJob("job_from", 1000);
  AddJob("job_until", 2000);
  AddJob("job_after", 2001);
  AddJob("job_other_project", 1500, "prj_2");
  int pages = 0;
  auto keys = AllJobPages(Window(1000, 2000), 10, &pages);
  std::vector<std::pair<int64_t, std::string>> expected{{1000, "job_from"}, {2000, "job_until"}};
  EXPECT_EQ(keys, expected);
}

TEST_F(PgExportStoreTest, ACursorResumesStrictlyAfterItsRow) {
  AddJob("job_a", 1000);
  AddJob("job_b", 1000);
  AddJob("job_c", 1000);
  ExportWindow window = Window(0, 5000);
  window.after = PageCursor{1000, "job_b"};
  std::vector<std::string> ids;
  store_.ReadJobPage(window, 10, [&](const ExportRow& row) {
    ids.emplace_back(row.Text(J::kId));
    return true;
  });
  EXPECT_EQ(ids, std::vector<std::string>{"job_c"});
}

TEST_F(PgExportStoreTest, AVisitorThatStopsEndsThePage) {
  for (const char* id : {"job_a", "job_b", "job_c"}) AddJob(id, 1000);
  int visits = 0;
  int read = store_.ReadJobPage(Window(0, 5000), 10, [&](const ExportRow&) {
    ++visits;
    return visits < 2;
  });
  EXPECT_EQ(read, 2);
  EXPECT_EQ(visits, 2);
}

TEST_F(PgExportStoreTest, DeletedJobsAreExportedToo) {
  AddJob("job_deleted", 1000);
  db_.Exec("UPDATE jobs SET deleted_at = 1500 WHERE id = 'job_deleted'");
  int read = store_.ReadJobPage(Window(0, 5000), 10, [&](const ExportRow& row) {
    EXPECT_EQ(row.Time(J::kDeletedAt), FromMillis(1500));
    return true;
  });
  EXPECT_EQ(read, 1);
}

TEST_F(PgExportStoreTest, EveryJobColumnReadsWithItsType) {
  db_.Exec(
      "INSERT INTO jobs (id, project_id, slug, job_type, queue, payload, tags, spec, is_http, "
      "parent_job_id, idempotency_key, enabled, next_run_at, version, last_run_id, state, "
      "attempt, max_attempts, started_at, completed_at, next_retry_at, progress, duration_ms, "
      "error, created_at, updated_at, deleted_at) VALUES ('job_1', 'prj_1', 'nightly', "
      "'email', 'mail', '{\"to\":\"ada\"}', '[\"x\"]', '{\"kind\":\"cron\"}', 0, 'job_0', "
      "'idem', 1, 11, 4, 'run_9', 'processing', 2, 5, 12, 13, 14, 0.25, 150, 'boom', 1000, "
      "16, 17)");
  int read = store_.ReadJobPage(Window(0, 5000), 10, [&](const ExportRow& job) {
    EXPECT_EQ(job.Text(J::kId), "job_1");
    EXPECT_EQ(job.Text(J::kSlug), "nightly");
    EXPECT_EQ(job.Text(J::kJobType), "email");
    EXPECT_EQ(job.Text(J::kQueue), "mail");
    EXPECT_EQ(job.Text(J::kPayload), R"({"to":"ada"})");
    EXPECT_EQ(job.Text(J::kTags), R"(["x"])");
    EXPECT_EQ(job.Text(J::kSpec), R"({"kind":"cron"})");
    EXPECT_EQ(job.Text(J::kParentJobId), "job_0");
    EXPECT_EQ(job.Text(J::kIdempotencyKey), "idem");
    EXPECT_EQ(job.Int(J::kEnabled), 1);
    EXPECT_EQ(job.Time(J::kNextRunAt), FromMillis(11));
    EXPECT_EQ(job.Int(J::kVersion), 4);
    EXPECT_EQ(job.Text(J::kLastRunId), "run_9");
    EXPECT_EQ(job.Text(J::kState), "processing");
    EXPECT_EQ(job.Int(J::kAttempt), 2);
    EXPECT_EQ(job.Int(J::kMaxAttempts), 5);
    EXPECT_EQ(job.Time(J::kStartedAt), FromMillis(12));
    EXPECT_EQ(job.Time(J::kCompletedAt), FromMillis(13));
    EXPECT_EQ(job.Time(J::kNextRetryAt), FromMillis(14));
    EXPECT_DOUBLE_EQ(job.Double(J::kProgress), 0.25);
    EXPECT_EQ(job.Int(J::kDurationMs), 150);
    EXPECT_EQ(job.Text(J::kError), "boom");
    EXPECT_EQ(job.Time(J::kCreatedAt), FromMillis(1000));
    EXPECT_EQ(job.Time(J::kUpdatedAt), FromMillis(16));
    EXPECT_EQ(job.Time(J::kDeletedAt), FromMillis(17));
    return true;
  });
  EXPECT_EQ(read, 1);
}

TEST_F(PgExportStoreTest, NullJobColumnsReadAsNullEmptyAndNoTime) {
  AddJob("job_1", 1000);
  store_.ReadJobPage(Window(0, 5000), 10, [&](const ExportRow& job) {
    for (J column : {J::kSlug, J::kTags, J::kParentJobId, J::kIdempotencyKey, J::kNextRunAt,
                     J::kLastRunId, J::kStartedAt, J::kCompletedAt, J::kNextRetryAt, J::kProgress,
                     J::kDurationMs, J::kError, J::kDeletedAt}) {
      EXPECT_TRUE(job.IsNull(column)) << static_cast<int>(column);
      EXPECT_EQ(job.Text(column), "") << static_cast<int>(column);
    }
    EXPECT_FALSE(job.IsNull(J::kId));
    EXPECT_EQ(job.Time(J::kNextRunAt), std::nullopt);
    EXPECT_EQ(job.Time(J::kDeletedAt), std::nullopt);
    return true;
  });
}

TEST_F(PgExportStoreTest, EveryRunColumnReadsWithItsType) {
  db_.Exec(
      "INSERT INTO runs (id, project_id, job_id, job_version, trigger, rerun_of, "
      "scheduled_for, state, attempt, max_attempts, timeout_seconds, queue, job_type, "
      "priority, is_http, next_retry_at, worker_id, lease_expires_at, progress, payload, "
      "created_at, ready_at, started_at, completed_at, duration_ms, failure_reason, error, "
      "request, result, trace) VALUES ('run_1', 'prj_1', 'job_1', 3, 'rerun', 'run_0', 10, "
      "'failed', 2, 4, 60, 'mail', 'email', 0, 1, 11, 'wrk_1', 12, 0.5, '{\"p\":1}', 1000, "
      "13, 14, 15, 250, 'timeout', 'slow', '{\"url\":\"u\"}', '{\"ok\":false}', "
      "'{\"total_ms\":9}')");
  int read = store_.ReadRunPage(Window(0, 5000), 10, [&](const ExportRow& run) {
    EXPECT_EQ(run.Text(R::kId), "run_1");
    EXPECT_EQ(run.Text(R::kJobId), "job_1");
    EXPECT_EQ(run.Int(R::kJobVersion), 3);
    EXPECT_EQ(run.Text(R::kTrigger), "rerun");
    EXPECT_EQ(run.Text(R::kRerunOf), "run_0");
    EXPECT_EQ(run.Time(R::kScheduledFor), FromMillis(10));
    EXPECT_EQ(run.Text(R::kState), "failed");
    EXPECT_EQ(run.Int(R::kAttempt), 2);
    EXPECT_EQ(run.Int(R::kMaxAttempts), 4);
    EXPECT_EQ(run.Time(R::kNextRetryAt), FromMillis(11));
    EXPECT_EQ(run.Text(R::kWorkerId), "wrk_1");
    EXPECT_EQ(run.Time(R::kLeaseExpiresAt), FromMillis(12));
    EXPECT_DOUBLE_EQ(run.Double(R::kProgress), 0.5);
    EXPECT_EQ(run.Text(R::kPayload), R"({"p":1})");
    EXPECT_EQ(run.Text(R::kQueue), "mail");
    EXPECT_EQ(run.Text(R::kJobType), "email");
    EXPECT_EQ(run.Time(R::kCreatedAt), FromMillis(1000));
    EXPECT_EQ(run.Time(R::kReadyAt), FromMillis(13));
    EXPECT_EQ(run.Time(R::kStartedAt), FromMillis(14));
    EXPECT_EQ(run.Time(R::kCompletedAt), FromMillis(15));
    EXPECT_EQ(run.Int(R::kDurationMs), 250);
    EXPECT_EQ(run.Text(R::kFailureReason), "timeout");
    EXPECT_EQ(run.Text(R::kError), "slow");
    EXPECT_EQ(run.Text(R::kRequest), R"({"url":"u"})");
    EXPECT_EQ(run.Text(R::kResult), R"({"ok":false})");
    EXPECT_EQ(run.Text(R::kTrace), R"({"total_ms":9})");
    return true;
  });
  EXPECT_EQ(read, 1);
}

TEST_F(PgExportStoreTest, NullRunColumnsReadAsNullEmptyAndNoTime) {
  AddRun("run_1", 1000);
  store_.ReadRunPage(Window(0, 5000), 10, [&](const ExportRow& run) {
    for (R column :
         {R::kRerunOf, R::kScheduledFor, R::kNextRetryAt, R::kWorkerId, R::kLeaseExpiresAt,
          R::kProgress, R::kPayload, R::kReadyAt, R::kStartedAt, R::kCompletedAt, R::kDurationMs,
          R::kFailureReason, R::kError, R::kRequest, R::kResult, R::kTrace}) {
      EXPECT_TRUE(run.IsNull(column)) << static_cast<int>(column);
      EXPECT_EQ(run.Text(column), "") << static_cast<int>(column);
    }
    EXPECT_EQ(run.Time(R::kStartedAt), std::nullopt);
    return true;
  });
}

TEST_F(PgExportStoreTest, RunPagesFollowCreatedAtThenIdWithinTheWindow) {
  AddRun("run_b", 1000);
  AddRun("run_a", 1000);
  AddRun("run_c", 900);
  AddRun("run_late", 5001);
  ExportWindow window = Window(1000, 5000);
  std::vector<std::string> ids;
  auto collect = [&](const ExportRow& run) {
    ids.emplace_back(run.Text(R::kId));
    return true;
  };
  EXPECT_EQ(store_.ReadRunPage(window, 1, collect), 1);
  window.after = PageCursor{1000, ids.back()};
  EXPECT_EQ(store_.ReadRunPage(window, 1, collect), 1);
  window.after = PageCursor{1000, ids.back()};
  EXPECT_EQ(store_.ReadRunPage(window, 1, collect), 0);
  EXPECT_EQ(ids, (std::vector<std::string>{"run_a", "run_b"}));
}

TEST_F(PgExportStoreTest, TextViewsOfARowStayValidTogetherUntilTheNextRow) {
  db_.Exec(
      "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
      "version, state, attempt, max_attempts, created_at, updated_at) VALUES ($1, 'prj_1', "
      "'email', 'default', $2, $3, 0, 1, 1, 'scheduled', 0, 3, 1000, 1000)",
      "job_1", std::string(500, 'p'), std::string(700, 's'));
  store_.ReadJobPage(Window(0, 5000), 10, [&](const ExportRow& job) {
    std::string_view payload = job.Text(J::kPayload);
    std::string_view spec = job.Text(J::kSpec);
    std::string_view payload_again = job.Text(J::kPayload);
    EXPECT_EQ(payload, std::string(500, 'p'));
    EXPECT_EQ(spec, std::string(700, 's'));
    EXPECT_EQ(payload_again.data(), payload.data());
    return true;
  });
}

}  // namespace
}  // namespace flare::daemon::postgres::export_store_test
