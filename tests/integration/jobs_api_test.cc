// The jobs contract of seed 004 and SPEC §1–§3 against a real flared over HTTP: create,
// validation limits, get, list filters and cursor pages, update, delete, cancel, retry,
// batch, run_at scheduling and the event history.

#include <set>
#include <thread>

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

class JobsApi : public FlaredSuite {};

std::string Jobs(const std::string& query) { return "/flare/v1/jobs?" + query; }

// The per-item ids of a batch answer, whatever the list is called.
std::vector<std::string> BatchIds(const json& answer) {
  std::vector<std::string> ids;
  for (const char* key : {"data", "jobs", "results"}) {
    if (!answer.contains(key) || !answer[key].is_array()) continue;
    for (const auto& item : answer[key]) {
      if (item.contains("id"))
        ids.push_back(item["id"]);
      else if (item.contains("job") && item["job"].contains("id"))
        ids.push_back(item["job"]["id"]);
    }
  }
  return ids;
}

json List(const std::string& query) {
  HttpReply reply = FlaredSuite::flared().Call("GET", Jobs(query));
  EXPECT_EQ(reply.status, 200) << query << " -> " << reply.body;
  return reply.json();
}

// Claims the one job of `queue` and acks it with `status` (+ extra ack fields).
json ClaimAndAck(const std::string& queue, const std::string& status,
                 const json& extra = json::object()) {
  json claims = Poll(FlaredSuite::flared(), "w-" + queue, queue);
  EXPECT_EQ(claims.size(), 1u);
  if (claims.empty()) return json();
  HttpReply ack = Ack(FlaredSuite::flared(), claims[0], "w-" + queue, status, extra);
  EXPECT_EQ(ack.status, 200) << ack.body;
  return claims[0];
}

TEST_F(JobsApi, MinimalCreateAnswers201WithLocationAndSeedDefaults) {
  HttpReply reply = flared().Call(
      "POST", "/flare/v1/jobs", {{"job_type", "report.generate"}, {"payload", {{"report_id", 1}}}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  json job = reply.json();
  std::string id = job.value("id", "");
  EXPECT_TRUE(IsPrefixedId(id, "job")) << id;
  EXPECT_EQ(reply.header("Location"), "/flare/v1/jobs/" + id);
  EXPECT_EQ(job["state"], "pending");
  EXPECT_EQ(job["job_type"], "report.generate");
  EXPECT_EQ(job["queue"], "default");
  EXPECT_EQ(job["attempt"], 0);
  EXPECT_EQ(job["max_attempts"], 3);
  EXPECT_EQ(job["timeout_seconds"], 1800);
  EXPECT_TRUE(job.contains("run_at") && job["run_at"].is_null()) << job.dump();
  EXPECT_EQ(job["version"], 1);
  EXPECT_TRUE(IsUtcMillis(job.value("created_at", ""))) << job["created_at"];

  json fetched = GetJob(flared(), id);
  EXPECT_EQ(fetched["payload"], json({{"report_id", 1}}));
  EXPECT_TRUE(fetched["started_at"].is_null());
  EXPECT_TRUE(fetched["completed_at"].is_null());
  EXPECT_TRUE(fetched["error"].is_null());
  EXPECT_TRUE(fetched["tags"].is_null());
}

TEST_F(JobsApi, FullSeedBodyIsEchoed) {
  std::string key = Unique("welcome-email");
  json body = {
      {"job_type", "email.send"},
      {"payload", {{"to", "user@example.com"}, {"subject", "Welcome!"}, {"body", "Thanks"}}},
      {"queue", Unique("email")},
      {"max_attempts", 5},
      {"timeout_seconds", 60},
      {"idempotency_key", key},
      {"tags", {{"env", "dev"}, {"priority", "high"}}}};
  json job = CreateJob(flared(), body);
  EXPECT_EQ(job["state"], "pending");
  EXPECT_EQ(job["queue"], body["queue"]);
  EXPECT_EQ(job["max_attempts"], 5);
  json fetched = GetJob(flared(), job.value("id", ""));
  EXPECT_EQ(fetched["timeout_seconds"], 60);
  EXPECT_EQ(fetched["payload"], body["payload"]);
  EXPECT_EQ(fetched["tags"], body["tags"]);
  EXPECT_EQ(fetched["idempotency_key"], key);
}

TEST_F(JobsApi, BoundaryValuesAreAccepted) {
  json body = JobBody(std::string(100, 'q'), {{"job_type", std::string(500, 't')},
                                              {"max_attempts", 100},
                                              {"timeout_seconds", 86400},
                                              {"idempotency_key", std::string(199, 'k') + "1"}});
  json job = CreateJob(flared(), body);
  EXPECT_EQ(job["max_attempts"], 100);
  json low =
      CreateJob(flared(), JobBody(Unique("q"), {{"max_attempts", 1}, {"timeout_seconds", 1}}));
  EXPECT_EQ(low["max_attempts"], 1);
  EXPECT_EQ(GetJob(flared(), low.value("id", ""))["timeout_seconds"], 1);
}

TEST_F(JobsApi, TagsAsAListOfStringsBecomeKeysWithEmptyValues) {
  json job = CreateJob(flared(), JobBody(Unique("q"), {{"tags", {"urgent", "billing"}}}));
  json fetched = GetJob(flared(), job.value("id", ""));
  EXPECT_EQ(fetched["tags"], json({{"urgent", ""}, {"billing", ""}})) << fetched.dump();
}

TEST_F(JobsApi, RunAtWithAnOffsetIsNormalisedToUtcMillis) {
  json job = CreateJob(flared(), JobBody(Unique("q"), {{"run_at", "2099-01-01T01:30:00+01:00"}}));
  EXPECT_EQ(job["state"], "scheduled");
  EXPECT_EQ(job["run_at"], "2099-01-01T00:30:00.000Z");
}

struct Invalid {
  const char* name;
  json patch;         // merged onto a valid body; null values remove the field
  std::string field;  // the error must name this field
};

class JobsValidation : public JobsApi, public ::testing::WithParamInterface<Invalid> {};

TEST_P(JobsValidation, Answers400NamingTheField) {
  json body = JobBody(Unique("q"));
  for (const auto& [key, value] : GetParam().patch.items()) {
    if (value.is_null())
      body.erase(key);
    else
      body[key] = value;
  }
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs", body);
  json error = reply.json().value("error", json::object());
  std::string field = error.value("field", "");
  EXPECT_TRUE(IsError(reply, 400, "invalid_request")) << body.dump().substr(0, 300);
  // The field may be refined (tags.x, tags[0]) but must start with the offending one.
  EXPECT_EQ(field.substr(0, GetParam().field.size()), GetParam().field) << reply.body;
}

const Invalid kInvalid[] = {
    {"job_type_missing", {{"job_type", nullptr}}, "job_type"},
    {"job_type_empty", {{"job_type", ""}}, "job_type"},
    {"job_type_501", {{"job_type", std::string(501, 'x')}}, "job_type"},
    {"job_type_number", {{"job_type", 5}}, "job_type"},
    {"payload_missing", {{"payload", nullptr}}, "payload"},
    {"payload_array", {{"payload", json::array({1, 2})}}, "payload"},
    {"payload_string", {{"payload", "text"}}, "payload"},
    {"payload_number", {{"payload", 3}}, "payload"},
    {"queue_101", {{"queue", std::string(101, 'q')}}, "queue"},
    {"queue_number", {{"queue", 1}}, "queue"},
    {"max_attempts_0", {{"max_attempts", 0}}, "max_attempts"},
    {"max_attempts_101", {{"max_attempts", 101}}, "max_attempts"},
    {"max_attempts_negative", {{"max_attempts", -1}}, "max_attempts"},
    {"max_attempts_fraction", {{"max_attempts", 2.5}}, "max_attempts"},
    {"max_attempts_string", {{"max_attempts", "3"}}, "max_attempts"},
    {"timeout_0", {{"timeout_seconds", 0}}, "timeout_seconds"},
    {"timeout_86401", {{"timeout_seconds", 86401}}, "timeout_seconds"},
    {"timeout_huge", {{"timeout_seconds", 1e300}}, "timeout_seconds"},
    {"idempotency_key_201", {{"idempotency_key", std::string(201, 'k')}}, "idempotency_key"},
    {"idempotency_key_number", {{"idempotency_key", 42}}, "idempotency_key"},
    {"tags_number_value", {{"tags", {{"env", 1}}}}, "tags"},
    {"tags_object_value", {{"tags", {{"env", {{"a", "b"}}}}}}, "tags"},
    {"tags_list_of_numbers", {{"tags", json::array({1, 2})}}, "tags"},
    {"tags_string", {{"tags", "env:prod"}}, "tags"},
    {"parent_37", {{"parent_job_id", std::string(37, 'p')}}, "parent_job_id"},
    {"parent_number", {{"parent_job_id", 12}}, "parent_job_id"},
    {"run_at_words", {{"run_at", "tomorrow"}}, "run_at"},
    {"run_at_month_13", {{"run_at", "2030-13-01T00:00:00Z"}}, "run_at"},
    {"run_at_no_zone", {{"run_at", "2030-01-01T00:00:00"}}, "run_at"},
    {"run_at_number", {{"run_at", 1700000000}}, "run_at"},
    {"unknown_field", {{"queu", "email"}}, "queu"},
    {"unknown_camel_case", {{"jobType", "x"}}, "jobType"},
};

INSTANTIATE_TEST_SUITE_P(SeedLimits, JobsValidation, ::testing::ValuesIn(kInvalid),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(JobsApi, MalformedOrNonObjectBodiesAre400) {
  for (const std::string body : {"{", "{\"job_type\": }", "not json", "", "[]", "\"job\"", "null",
                                 "{\"job_type\":\"a\",\"payload\":{}} trailing"}) {
    HttpReply reply = flared().CallRaw("POST", "/flare/v1/jobs", body);
    EXPECT_TRUE(IsError(reply, 400, "invalid_request")) << "body: " << body;
  }
}

TEST_F(JobsApi, BodyOver2MiBIs413AndUnder2MiBIsAccepted) {
  json big = JobBody(Unique("q"), {{"payload", {{"blob", std::string(2 * 1024 * 1024, 'a')}}}});
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs", big);
  EXPECT_TRUE(IsError(reply, 413, "payload_too_large"));

  json fits = JobBody(Unique("q"), {{"payload", {{"blob", std::string(1536 * 1024, 'a')}}}});
  json job = CreateJob(flared(), fits);
  EXPECT_EQ(GetJob(flared(), job.value("id", ""))["payload"]["blob"].get<std::string>().size(),
            1536u * 1024);
  EXPECT_EQ(flared().Call("GET", "/healthz", nullptr, "").status, 200);
}

TEST_F(JobsApi, MissingOrBadKeyIs401) {
  json body = JobBody(Unique("q"));
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/jobs", body, ""), 401, "unauthorized"));
  EXPECT_TRUE(
      IsError(flared().Call("GET", "/flare/v1/jobs", nullptr, "wrong"), 401, "unauthorized"));
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs", nullptr, flared().admin_key() + "x"),
                      401, "unauthorized"));
  EXPECT_TRUE(IsError(flared().Send("GET", "/flare/v1/jobs", "", "application/json",
                                    {{"Authorization", "Basic " + flared().admin_key()}}, ""),
                      401, "unauthorized"));
  EXPECT_TRUE(IsError(flared().Send("GET", "/flare/v1/jobs", "", "application/json",
                                    {{"Authorization", "Bearer"}}, ""),
                      401, "unauthorized"));
  HttpReply health = flared().Call("GET", "/healthz", nullptr, "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json().value("status", ""), "ok");
  EXPECT_TRUE(health.json().contains("version"));
}

TEST_F(JobsApi, GetByIdAndBySlugAnd404) {
  std::string slug = "nightly-" + std::to_string(std::hash<std::string>{}(Unique("s")) % 100000);
  json job = CreateJob(flared(), JobBody(Unique("q"), {{"slug", slug}}));
  std::string id = job.value("id", "");
  EXPECT_EQ(GetJob(flared(), id)["id"], id);
  EXPECT_EQ(GetJob(flared(), slug)["id"], id);
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs/job_01AAAAAAAAAAAAAAAAAAAAAAAA"), 404,
                      "job_not_found"));
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs/no-such-slug"), 404, "job_not_found"));
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/jobs/job_01AAAAAAAAAAAAAAAAAAAAAAAA/cancel"),
                      404, "job_not_found"));
}

TEST_F(JobsApi, ListFiltersByStateQueueTypeTagAndCreationTime) {
  std::string queue = Unique("q");
  json a1 =
      CreateJob(flared(), JobBody(queue, {{"job_type", "type.a"}, {"tags", {{"env", "prod"}}}}));
  // Distinct creation milliseconds, so created_after/before have a clean boundary.
  std::this_thread::sleep_for(milliseconds(15));
  json b1 =
      CreateJob(flared(), JobBody(queue, {{"job_type", "type.b"}, {"tags", {{"env", "dev"}}}}));
  std::this_thread::sleep_for(milliseconds(15));
  json a2 = CreateJob(flared(),
                      JobBody(queue, {{"job_type", "type.a"}, {"run_at", "2099-01-01T00:00:00Z"}}));
  CreateJob(flared(), JobBody(Unique("other"), {{"job_type", "type.a"}}));

  auto ids = [&](const std::string& query) {
    auto list = IdsOf(List("queue=" + queue + "&" + query));
    return std::set<std::string>(list.begin(), list.end());
  };
  std::string id_a1 = a1["id"], id_b1 = b1["id"], id_a2 = a2["id"];
  EXPECT_EQ(ids("limit=100"), (std::set<std::string>{id_a1, id_b1, id_a2}));
  EXPECT_EQ(ids("job_type=type.a"), (std::set<std::string>{id_a1, id_a2}));
  EXPECT_EQ(ids("state=scheduled"), (std::set<std::string>{id_a2}));
  EXPECT_EQ(ids("state=pending&job_type=type.b"), (std::set<std::string>{id_b1}));
  EXPECT_EQ(ids("tag=env:prod"), (std::set<std::string>{id_a1}));
  EXPECT_EQ(ids("tag=env:staging"), (std::set<std::string>{}));
  std::string middle = b1["created_at"];
  auto after = ids("created_after=" + middle);
  EXPECT_TRUE(after.count(id_a2) && !after.count(id_a1)) << "created_after=" << middle;
  auto before = ids("created_before=" + middle);
  EXPECT_TRUE(before.count(id_a1) && !before.count(id_a2)) << "created_before=" << middle;

  EXPECT_TRUE(
      IsError(flared().Call("GET", Jobs("state=running")), 400, "invalid_request", "state"));
  EXPECT_TRUE(IsError(flared().Call("GET", Jobs("created_after=yesterday")), 400, "invalid_request",
                      "created_after"));
}

TEST_F(JobsApi, LimitOutsideOneToHundredIs400) {
  for (const char* limit : {"0", "101", "-1", "abc", "1.5", ""}) {
    EXPECT_TRUE(IsError(flared().Call("GET", Jobs(std::string("limit=") + limit)), 400,
                        "invalid_request", "limit"))
        << "limit=" << limit;
  }
  EXPECT_EQ(flared().Call("GET", Jobs("limit=1")).status, 200);
  EXPECT_EQ(flared().Call("GET", Jobs("limit=100")).status, 200);
  EXPECT_TRUE(IsError(flared().Call("GET", Jobs("cursor=not-a-cursor")), 400, "invalid_request"));
}

TEST_F(JobsApi, CursorPagesVisitEveryJobOnceNewestFirst) {
  std::string queue = Unique("q");
  std::set<std::string> created;
  for (int i = 0; i < 60; ++i) created.insert(CreateJob(flared(), JobBody(queue)).value("id", ""));
  // 60 more in one batch: one transaction, so many share created_at and only id breaks ties.
  json batch = json::array();
  for (int i = 0; i < 60; ++i) batch.push_back(JobBody(queue));
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", batch}});
  ASSERT_EQ(reply.status, 201) << reply.body.substr(0, 400);
  for (const auto& id : BatchIds(reply.json())) created.insert(id);
  ASSERT_EQ(created.size(), 120u) << reply.body.substr(0, 400);
  auto all = List("queue=" + queue + "&limit=100");
  ASSERT_EQ(all["data"].size(), 100u);
  json first_page = List("queue=" + queue);
  EXPECT_EQ(first_page["data"].size(), 50u) << "the default limit is 50";
  EXPECT_EQ(first_page["has_more"], true);

  std::vector<json> seen;
  std::string cursor;
  int pages = 0;
  for (; pages < 40; ++pages) {
    json page = List("queue=" + queue + "&limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_TRUE(page["has_more"].is_boolean()) << page.dump().substr(0, 300);
    EXPECT_EQ(page["has_more"].get<bool>(), !page["next_cursor"].is_null()) << "page " << pages;
    for (const auto& job : page["data"]) seen.push_back(job);
    if (pages == 3) CreateJob(flared(), JobBody(queue));  // a newer job must not disturb paging
    if (!page["has_more"].get<bool>()) break;
    ASSERT_TRUE(page["next_cursor"].is_string());
    cursor = page["next_cursor"];
    EXPECT_LE(page["data"].size(), 7u);
  }
  ASSERT_EQ(seen.size(), 120u) << "after " << pages << " pages";
  std::set<std::string> ids;
  for (size_t i = 0; i < seen.size(); ++i) {
    std::string id = seen[i]["id"];
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
    EXPECT_TRUE(created.count(id)) << "not one of the 120: " << id;
    if (i == 0) continue;
    std::string prev_at = seen[i - 1]["created_at"], at = seen[i]["created_at"];
    std::string prev_id = seen[i - 1]["id"];
    EXPECT_TRUE(prev_at > at || (prev_at == at && prev_id > id))
        << "order broken at " << i << ": " << prev_at << " " << prev_id << " then " << at << " "
        << id;
  }
  for (const auto& id : created) EXPECT_TRUE(ids.count(id)) << "missing " << id;
}

TEST_F(JobsApi, PatchMergesBumpsVersionAndChecksIt) {
  std::string queue = Unique("q");
  json job = CreateJob(flared(), JobBody(queue, {{"tags", {{"env", "dev"}}}}));
  std::string path = "/flare/v1/jobs/" + job.value("id", "");
  HttpReply patched =
      flared().Call("PATCH", path, {{"max_attempts", 7}, {"description", "nightly"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  json updated = patched.json();
  EXPECT_EQ(updated["version"], 2);
  EXPECT_EQ(updated["max_attempts"], 7);
  EXPECT_EQ(updated["description"], "nightly");
  EXPECT_EQ(updated["job_type"], "itest.work");  // untouched fields stay
  EXPECT_EQ(updated["queue"], queue);
  EXPECT_EQ(updated["tags"], json({{"env", "dev"}}));
  EXPECT_GE(updated.value("updated_at", ""), job.value("created_at", ""));
  EXPECT_EQ(GetJob(flared(), job["id"])["version"], 2);

  EXPECT_TRUE(IsError(flared().Call("PATCH", path, {{"max_atempts", 4}}), 400, "invalid_request",
                      "max_atempts"));
  EXPECT_TRUE(IsError(flared().Call("PATCH", path, {{"max_attempts", 0}}), 400, "invalid_request",
                      "max_attempts"));
  HttpReply stale = flared().Call("PATCH", path, {{"version", 1}, {"priority", 5}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  HttpReply current = flared().Call("PATCH", path, {{"version", 2}, {"priority", 5}});
  EXPECT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(current.json()["version"], 3);
  EXPECT_EQ(current.json()["priority"], 5);
  EXPECT_EQ(GetJob(flared(), job["id"])["version"], 3);  // the failed PATCHes changed nothing
  EXPECT_TRUE(IsError(
      flared().Call("PATCH", "/flare/v1/jobs/job_01AAAAAAAAAAAAAAAAAAAAAAAA", {{"priority", 1}}),
      404, "job_not_found"));
}

TEST_F(JobsApi, DeleteIsSoftHidesFromListAndFreesTheSlug) {
  std::string queue = Unique("q");
  std::string slug = "del-" + std::to_string(std::hash<std::string>{}(queue) % 100000);
  json job = CreateJob(flared(), JobBody(queue, {{"slug", slug}}));
  std::string id = job["id"];
  HttpReply deleted = flared().Call("DELETE", "/flare/v1/jobs/" + id);
  EXPECT_GE(deleted.status, 200);
  EXPECT_LT(deleted.status, 300) << deleted.body;
  json after = GetJob(flared(), id);
  EXPECT_TRUE(after["deleted_at"].is_string()) << after.dump();
  EXPECT_TRUE(IdsOf(List("queue=" + queue)).empty());
  json again = CreateJob(flared(), JobBody(queue, {{"slug", slug}}));
  EXPECT_EQ(GetJob(flared(), slug)["id"], again["id"]);
  json runnable = Poll(flared(), "w-del", queue, 10);  // the deleted job's run was cancelled
  ASSERT_EQ(runnable.size(), 1u);
  EXPECT_EQ(runnable[0]["id"], again["id"]);
  EXPECT_TRUE(IsError(flared().Call("DELETE", "/flare/v1/jobs/job_01AAAAAAAAAAAAAAAAAAAAAAAA"), 404,
                      "job_not_found"));
}

TEST_F(JobsApi, CancelWorksOnPendingAndScheduledOnly) {
  std::string queue = Unique("q");
  auto cancel = [&](const json& job) {
    return flared().Call("POST", "/flare/v1/jobs/" + job.value("id", "") + "/cancel");
  };
  json pending = CreateJob(flared(), JobBody(queue));
  HttpReply reply = cancel(pending);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json(), json({{"id", pending["id"]}, {"state", "cancelled"}}));
  EXPECT_EQ(GetJob(flared(), pending["id"])["state"], "cancelled");
  EXPECT_TRUE(IsError(cancel(pending), 409, "invalid_state"));

  json scheduled = CreateJob(flared(), JobBody(queue, {{"run_at", "2099-01-01T00:00:00Z"}}));
  EXPECT_EQ(cancel(scheduled).status, 200);
  EXPECT_EQ(GetJob(flared(), scheduled["id"])["state"], "cancelled");

  json failed = CreateJob(
      flared(),
      JobBody(queue, {{"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 3600}}}}));
  ClaimAndAck(queue, "failed");
  EXPECT_EQ(GetJob(flared(), failed["id"])["state"], "failed");
  EXPECT_TRUE(IsError(cancel(failed), 409, "invalid_state"))
      << "seed 004: failed jobs cannot be cancelled";

  json processing = CreateJob(flared(), JobBody(queue));
  json claims = Poll(flared(), "w-cancel", queue);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_TRUE(IsError(cancel(processing), 409, "invalid_state"));
  ASSERT_EQ(Ack(flared(), claims[0], "w-cancel", "succeeded").status, 200);
  EXPECT_TRUE(IsError(cancel(processing), 409, "invalid_state"));  // succeeded
  EXPECT_TRUE(Poll(flared(), "w-cancel", queue).empty());          // cancelled jobs never run
}

TEST_F(JobsApi, RetryWorksOnFailedAndDeadLetterAndBumpsMaxAttempts) {
  std::string queue = Unique("q");
  auto retry = [&](const std::string& id) {
    return flared().Call("POST", "/flare/v1/jobs/" + id + "/retry");
  };
  json pending = CreateJob(flared(), JobBody(queue));
  EXPECT_TRUE(IsError(retry(pending["id"]), 409, "invalid_state"));
  ClaimAndAck(queue, "succeeded");
  EXPECT_TRUE(IsError(retry(pending["id"]), 409, "invalid_state"));  // succeeded

  // Dead letter after its only attempt: retry grants one more.
  json dead = CreateJob(flared(), JobBody(queue, {{"max_attempts", 1}}));
  ClaimAndAck(queue, "failed",
              {{"error", {{"type", "Boom"}, {"message", "exploded"}, {"stack_trace", "at x"}}}});
  json failed_job = GetJob(flared(), dead["id"]);
  EXPECT_EQ(failed_job["state"], "dead_letter");
  EXPECT_EQ(failed_job["error"]["type"], "Boom");
  EXPECT_EQ(failed_job["error"]["message"], "exploded");
  HttpReply reply = retry(dead["id"]);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["id"], dead["id"]);
  EXPECT_EQ(reply.json()["state"], "pending");
  EXPECT_EQ(reply.json()["attempt"], 1);
  json retried = GetJob(flared(), dead["id"]);
  EXPECT_EQ(retried["state"], "pending");
  EXPECT_EQ(retried["max_attempts"], 2);
  EXPECT_TRUE(retried["error"].is_null()) << retried.dump();
  EXPECT_TRUE(retried["completed_at"].is_null()) << retried.dump();
  EXPECT_TRUE(retried["duration_ms"].is_null()) << retried.dump();
  json claims = Poll(flared(), "w-retry", queue);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0]["attempt"], 2);
  EXPECT_EQ(claims[0]["max_attempts"], 2);
  ASSERT_EQ(Ack(flared(), claims[0], "w-retry", "succeeded").status, 200);

  // Failed with attempts left (retry due far away): retry makes it pending now, same limit.
  json failing = CreateJob(
      flared(),
      JobBody(queue,
              {{"retry",
                {{"strategy", "fixed"}, {"initial_delay_seconds", 3600}, {"jitter", false}}}}));
  ClaimAndAck(queue, "failed");
  EXPECT_EQ(GetJob(flared(), failing["id"])["state"], "failed");
  ASSERT_EQ(retry(failing["id"]).status, 200);
  json again = GetJob(flared(), failing["id"]);
  EXPECT_EQ(again["state"], "pending");
  EXPECT_EQ(again["max_attempts"], 3);
  EXPECT_TRUE(again["error"].is_null());
  json reclaimed = Poll(flared(), "w-retry", queue);
  ASSERT_EQ(reclaimed.size(), 1u);
  EXPECT_EQ(reclaimed[0]["id"], failing["id"]);
}

// Each item of a batch's answer is seed 004's short create answer, with the values the job
// itself shows; text a client sent (job_type) comes back as it was sent.
TEST_F(JobsApi, BatchAnswersEachJobWithItsOwnValues) {
  std::string queue = Unique("q");
  const std::string odd_type = "quote \" backslash \\ tab \t é 日本 🙂 </script>";
  json jobs = {JobBody(queue, {{"job_type", odd_type}, {"max_attempts", 9}}),
               JobBody(queue, {{"run_at", "2099-01-01T00:00:00.250Z"}})};
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", jobs}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  json data = reply.json()["data"];
  ASSERT_EQ(data.size(), 2u) << reply.body;
  for (const json& item : data) {
    json job = GetJob(flared(), item["id"]);
    EXPECT_EQ(item.size(), 8u) << item.dump();
    for (const char* field :
         {"id", "state", "job_type", "queue", "created_at", "run_at", "attempt", "max_attempts"}) {
      EXPECT_EQ(item[field], job[field]) << field << " in " << item.dump();
    }
  }
  EXPECT_EQ(data[0]["job_type"], odd_type);
  EXPECT_EQ(data[0]["max_attempts"], 9);
  EXPECT_EQ(data[0]["state"], "pending");
  EXPECT_TRUE(data[0]["run_at"].is_null());
  EXPECT_EQ(data[1]["run_at"], "2099-01-01T00:00:00.250Z");
  EXPECT_EQ(data[1]["state"], "scheduled");
}

TEST_F(JobsApi, BatchIsAllOrNothingUpTo1000) {
  std::string queue = Unique("q");
  json three = {{"jobs",
                 {JobBody(queue), JobBody(queue, {{"queue", queue}, {"max_attempts", 9}}),
                  JobBody(queue, {{"run_at", "2099-01-01T00:00:00Z"}})}}};
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs/batch", three);
  ASSERT_EQ(reply.status, 201) << reply.body;
  auto ids = BatchIds(reply.json());
  ASSERT_EQ(ids.size(), 3u) << reply.body;
  EXPECT_EQ(GetJob(flared(), ids[1])["max_attempts"], 9);
  EXPECT_EQ(GetJob(flared(), ids[2])["state"], "scheduled");

  std::string bad_queue = Unique("q");
  json bad = {
      {"jobs",
       {JobBody(bad_queue), JobBody(bad_queue, {{"max_attempts", 0}}), JobBody(bad_queue)}}};
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/jobs/batch", bad), 400, "invalid_request"));
  EXPECT_TRUE(IdsOf(List("queue=" + bad_queue)).empty()) << "an invalid item must create nothing";

  json many = json::array();
  for (int i = 0; i < 1001; ++i) many.push_back(JobBody(bad_queue));
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", many}}), 400,
                      "invalid_request"));
  EXPECT_TRUE(IdsOf(List("queue=" + bad_queue)).empty());
  many.erase(many.begin());
  HttpReply thousand = flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", many}});
  ASSERT_EQ(thousand.status, 201) << thousand.body.substr(0, 300);
  EXPECT_EQ(BatchIds(thousand.json()).size(), 1000u);
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", json::array()}}), 400,
                      "invalid_request"));
  EXPECT_TRUE(IsError(
      flared().Call("POST", "/flare/v1/jobs/batch", {{"items", json::array({JobBody(queue)})}}),
      400, "invalid_request"));
}

TEST_F(JobsApi, BatchErrorsNameEachRefusedItemItsFieldAndWhy) {
  std::string queue = Unique("q");
  json jobs = {JobBody(queue), JobBody(queue, {{"max_attempts", 0}}), JobBody(queue),
               JobBody(queue, {{"schedule", "61 * * * *"}})};
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", jobs}});
  ASSERT_TRUE(IsError(reply, 400, "invalid_request", "jobs[1].max_attempts")) << reply.body;
  json errors = reply.json()["error"]["errors"];
  ASSERT_TRUE(errors.is_array()) << reply.body;
  ASSERT_EQ(errors.size(), 2u) << reply.body;
  EXPECT_EQ(errors[0]["index"], 1);
  EXPECT_EQ(errors[0]["field"], "max_attempts");
  EXPECT_EQ(errors[0]["code"], "invalid_request");
  EXPECT_FALSE(errors[0].value("message", "").empty()) << errors[0].dump();
  EXPECT_EQ(errors[1]["index"], 3);
  EXPECT_EQ(errors[1]["field"], "schedule");
  EXPECT_NE(errors[1].value("message", "").find("61"), std::string::npos) << errors[1].dump();
  EXPECT_TRUE(IdsOf(List("queue=" + queue)).empty()) << "a refused batch creates nothing";

  // A rule checked against the database (here: an unknown parent) names its item too.
  jobs = {JobBody(queue), JobBody(queue, {{"parent_job_id", "no-such-parent"}})};
  reply = flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", jobs}});
  ASSERT_TRUE(IsError(reply, 422, "parent_not_found", "jobs[1].parent_job_id")) << reply.body;
  EXPECT_EQ(reply.json()["error"]["errors"],
            json::array({{{"index", 1},
                          {"field", "parent_job_id"},
                          {"code", "parent_not_found"},
                          {"message", reply.json()["error"]["errors"][0]["message"]}}}))
      << reply.body;
  EXPECT_TRUE(IdsOf(List("queue=" + queue)).empty());
}

TEST_F(JobsApi, FutureRunAtIsScheduledThenPendingOnTime) {
  std::string queue = Unique("q");
  auto due = std::chrono::system_clock::now() + milliseconds(1500);
  auto due_ms = std::chrono::time_point_cast<milliseconds>(due);
  std::time_t secs = std::chrono::system_clock::to_time_t(due_ms);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", std::gmtime(&secs));
  char run_at[48];
  std::snprintf(run_at, sizeof run_at, "%s.%03dZ", text,
                static_cast<int>(due_ms.time_since_epoch().count() % 1000));
  json job = CreateJob(flared(), JobBody(queue, {{"run_at", run_at}}));
  EXPECT_EQ(job["state"], "scheduled");
  EXPECT_EQ(job["run_at"], run_at);
  EXPECT_EQ(GetJob(flared(), job["id"])["state"], "scheduled");
  EXPECT_TRUE(Poll(flared(), "w-sched", queue).empty()) << "claimable before its run_at";

  // A long poll receives it once due, and not before.
  json claims = Poll(flared(), "w-sched", queue, 1, 5);
  auto received = std::chrono::system_clock::now();
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0]["id"], job["id"]);
  double early_ms = std::chrono::duration<double, std::milli>(due - received).count();
  EXPECT_LE(early_ms, 5.0) << "claimed " << early_ms << " ms before run_at";
  double late_ms = -early_ms;
  std::printf("[ measure  ] run_at job claimed %.1f ms after its due time\n", late_ms);
  EXPECT_LT(late_ms, 1000.0);

  // And without a worker a scheduled job turns pending by itself.
  std::string queue2 = Unique("q");
  auto due2 = std::chrono::system_clock::now() + milliseconds(1200);
  std::time_t secs2 = std::chrono::system_clock::to_time_t(due2);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs2));
  json job2 = CreateJob(flared(), JobBody(queue2, {{"run_at", text}}));
  WaitForState(flared(), job2["id"], "pending", seconds(5));
}

TEST_F(JobsApi, EventHistoryRecordsCreatedStartedSucceeded) {
  std::string queue = Unique("q");
  json job = CreateJob(flared(), JobBody(queue));
  json claim = ClaimAndAck(queue, "succeeded", {{"duration_ms", 12}});
  HttpReply reply = flared().Call("GET", "/flare/v1/jobs/" + job.value("id", "") + "/events");
  ASSERT_EQ(reply.status, 200) << reply.body;
  json events = reply.json()["data"];
  ASSERT_TRUE(events.is_array()) << reply.body;
  std::map<std::string, json> by_type;
  for (const auto& event : events) {
    EXPECT_TRUE(IsUtcMillis(event.value("at", ""))) << event.dump();
    EXPECT_TRUE(event.contains("run_id")) << event.dump();
    EXPECT_TRUE(event.contains("attempt")) << event.dump();
    by_type[event.value("type", "")] = event;
  }
  ASSERT_TRUE(by_type.count("created")) << reply.body;
  ASSERT_TRUE(by_type.count("started")) << reply.body;
  ASSERT_TRUE(by_type.count("succeeded")) << reply.body;
  EXPECT_EQ(by_type["started"]["run_id"], claim["run_id"]);
  EXPECT_EQ(by_type["started"]["attempt"], 1);
  EXPECT_EQ(by_type["succeeded"]["run_id"], claim["run_id"]);
  EXPECT_EQ(by_type["succeeded"]["attempt"], 1);
  EXPECT_LE(by_type["created"]["at"].get<std::string>(),
            by_type["started"]["at"].get<std::string>());
  EXPECT_LE(by_type["started"]["at"].get<std::string>(),
            by_type["succeeded"]["at"].get<std::string>());
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs/job_01AAAAAAAAAAAAAAAAAAAAAAAA/events"),
                      404, "job_not_found"));
}

TEST_F(JobsApi, EventHistoryNamesEveryTransition) {
  std::string queue = Unique("q");
  json job = CreateJob(flared(), JobBody(queue, {{"max_attempts", 1}}));
  std::string id = job["id"];
  ClaimAndAck(queue, "failed", {{"error", {{"type", "E"}, {"message", "m"}}}});
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + id + "/retry").status, 200);
  ASSERT_EQ(flared().Call("PATCH", "/flare/v1/jobs/" + id, {{"description", "d"}}).status, 200);
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + id + "/cancel").status, 200);
  ASSERT_EQ(flared().Call("DELETE", "/flare/v1/jobs/" + id).status / 100, 2);
  HttpReply reply = flared().Call("GET", "/flare/v1/jobs/" + id + "/events?limit=100");
  ASSERT_EQ(reply.status, 200) << reply.body;
  std::multiset<std::string> types;
  json events = reply.json()["data"];
  for (const auto& event : events) types.insert(event.value("type", ""));
  for (const char* type : {"created", "started", "attempt_failed", "dead_lettered", "retried",
                           "updated", "cancelled", "deleted"}) {
    EXPECT_EQ(types.count(type), 1u) << type << " in " << reply.body.substr(0, 1500);
  }
  EXPECT_EQ(events.size(), types.size());
}

}  // namespace
}  // namespace flare::testing
