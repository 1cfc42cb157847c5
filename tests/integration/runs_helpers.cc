#include "tests/integration/runs_helpers.h"

#include "common/time_format.h"

namespace flare::testing::runs_itest {
namespace {

// Follows next_cursor over a list endpoint (bounded: at most 50 pages).
std::vector<json> AllPages(const FlaredProcess& flared, const std::string& path) {
  std::vector<json> items;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    std::string sep = path.find('?') == std::string::npos ? "?" : "&";
    std::string url = path + sep + "limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor);
    HttpReply reply = flared.Call("GET", url);
    if (reply.status != 200) {
      ADD_FAILURE() << "GET " << url << " answered " << reply.status << ": " << reply.body
                    << LogIfGone(flared, reply);
      break;
    }
    json body = reply.json();
    for (const auto& item : body["data"]) items.push_back(item);
    if (!body.value("has_more", false) || !body["next_cursor"].is_string()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  return items;
}

json GetOk(const FlaredProcess& flared, const std::string& path) {
  HttpReply reply = flared.Call("GET", path);
  if (reply.status != 200) {
    ADD_FAILURE() << "GET " << path << " answered " << reply.status << ": " << reply.body
                  << LogIfGone(flared, reply);
  }
  return reply.json();
}

bool IsTerminal(const json& run) {
  std::string state = run.value("state", "");
  return state == "succeeded" || state == "dead_letter" || state == "cancelled";
}

}  // namespace

json HttpJobBody(const std::string& url, const json& http_extra, const json& extra) {
  json body = {{"http", {{"url", url}}}};
  body["http"].update(http_extra);
  body.update(extra);
  return body;
}

json GetRun(const FlaredProcess& flared, const std::string& id) {
  return GetOk(flared, "/flare/v1/runs/" + id);
}

std::vector<json> RunsOfJob(const FlaredProcess& flared, const std::string& job) {
  return AllPages(flared, "/flare/v1/runs?job=" + job);
}

std::vector<json> EventsOfJob(const FlaredProcess& flared, const std::string& job) {
  return AllPages(flared, "/flare/v1/jobs/" + job + "/events");
}

int CountEvents(const FlaredProcess& flared, const std::string& job, const std::string& type) {
  int count = 0;
  for (const auto& event : EventsOfJob(flared, job)) count += event.value("type", "") == type;
  return count;
}

std::string WaitForFirstRun(const FlaredProcess& flared, const std::string& job,
                            milliseconds timeout) {
  std::string run_id;
  HttpReply reply;
  WaitFor(
      [&] {
        reply = flared.Call("GET", "/flare/v1/jobs/" + job);
        json current = reply.json();
        if (current.is_object() && current["last_run_id"].is_string()) {
          run_id = current["last_run_id"].get<std::string>();
        }
        return !run_id.empty();
      },
      timeout);
  if (run_id.empty()) {
    ADD_FAILURE() << "job " << job << " made no run within " << timeout.count() << " ms"
                  << LogIfGone(flared, reply);
  }
  return run_id;
}

json WaitForRun(const FlaredProcess& flared, const std::string& run_id,
                const std::function<bool(const json&)>& predicate, milliseconds timeout) {
  json run;
  WaitFor(
      [&] {
        run = flared.Call("GET", "/flare/v1/runs/" + run_id).json();
        return run.is_object() && predicate(run);
      },
      timeout);
  return run;
}

json WaitForRunState(const FlaredProcess& flared, const std::string& run_id,
                     const std::string& state, milliseconds timeout) {
  json run = WaitForRun(
      flared, run_id, [&](const json& r) { return r.value("state", "") == state; }, timeout);
  if (run.value("state", "") != state) {
    ADD_FAILURE() << "run " << run_id << " did not reach " << state << ": " << run.dump();
  }
  return run;
}

json WaitForRunDone(const FlaredProcess& flared, const std::string& run_id, milliseconds timeout) {
  json run = WaitForRun(flared, run_id, IsTerminal, timeout);
  if (!IsTerminal(run)) ADD_FAILURE() << "run " << run_id << " did not end: " << run.dump();
  return run;
}

json RunHttpJobOnce(const FlaredProcess& flared, const json& body, milliseconds timeout) {
  json job = CreateJob(flared, body);
  if (!job.is_object() || !job["id"].is_string()) return json();
  std::string run_id = WaitForFirstRun(flared, job["id"].get<std::string>());
  if (run_id.empty()) return json();
  return WaitForRunDone(flared, run_id, timeout);
}

int64_t Millis(const json& rfc3339) {
  if (!rfc3339.is_string()) {
    ADD_FAILURE() << "not a time: " << rfc3339.dump();
    return 0;
  }
  auto parsed = ParseTime(rfc3339.get<std::string>());
  if (!parsed) {
    ADD_FAILURE() << "not RFC 3339: " << rfc3339.dump();
    return 0;
  }
  return ToMillis(*parsed);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TimeFromNow(milliseconds delay) {
  return FormatTime(FromMillis(NowMillis() + delay.count()));
}

::testing::AssertionResult IsApiError(const HttpReply& reply, int status, const std::string& code,
                                      const std::string& field) {
  json body = reply.json();
  bool ok = reply.status == status && body.is_object() && body["error"].is_object() &&
            body["error"].value("code", "") == code &&
            (field.empty() || body["error"].value("field", "") == field);
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << status << " " << code << (field.empty() ? "" : " field " + field)
         << ", got " << reply.status << ": " << reply.body;
}

}  // namespace flare::testing::runs_itest
