#include "tests/integration/itest.h"

#include <atomic>
#include <cctype>

namespace flare::testing {

std::string Unique(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? info->name() : "none";
  return prefix + "-" + name.substr(0, 60) + "-" + std::to_string(++counter);
}

namespace {

std::string Tail(const std::string& log) {
  return log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
}

void ExpectNoSanitizerReport(const std::string& log) {
  for (const char* mark : {"Sanitizer", "runtime error:"}) {
    EXPECT_EQ(log.find(mark), std::string::npos) << "flared log has a " << mark << " report:\n"
                                                 << Tail(log);
  }
}

}  // namespace

void ExpectCleanShutdown(FlaredProcess& flared) {
  int code = flared.Stop();
  EXPECT_EQ(code, 0) << "flared did not exit cleanly on SIGTERM; log tail:\n" << Tail(flared.Log());
  ExpectNoSanitizerReport(flared.Log());
}

void ExpectHealthy(const FlaredProcess& flared) {
  HttpReply health = flared.Call("GET", "/healthz", nullptr, "");
  EXPECT_EQ(health.status, 200) << "flared is not healthy; log tail:\n" << Tail(flared.Log());
  ExpectNoSanitizerReport(flared.Log());
}

bool IsUtcMillis(const std::string& text) {
  // Shape check without std::regex (GCC 12 warns inside <regex> under the sanitizers).
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != shape.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    bool ok = shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[i])) != 0
                              : text[i] == shape[i];
    if (!ok) return false;
  }
  return true;
}

bool IsPrefixedId(const std::string& text, const std::string& prefix) {
  static const std::string kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  if (text.size() != prefix.size() + 1 + 26 || text.rfind(prefix + "_", 0) != 0) return false;
  return text.find_first_not_of(kCrockford, prefix.size() + 1) == std::string::npos;
}

json JobBody(const std::string& queue, const json& extra) {
  json body = {{"job_type", "itest.work"}, {"payload", {{"n", 1}}}, {"queue", queue}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return body;
}

json CreateJob(const FlaredProcess& flared, const json& body) {
  HttpReply reply = flared.Call("POST", "/flare/v1/jobs", body);
  EXPECT_EQ(reply.status, 201) << body.dump() << " -> " << reply.body << LogIfGone(flared, reply);
  return reply.json();
}

json GetJob(const FlaredProcess& flared, const std::string& id) {
  HttpReply reply = flared.Call("GET", "/flare/v1/jobs/" + id);
  EXPECT_EQ(reply.status, 200) << id << " -> " << reply.body << LogIfGone(flared, reply);
  return reply.json();
}

std::string LogIfGone(const FlaredProcess& flared, const HttpReply& reply) {
  return reply.status == 0 ? "\nflared log:\n" + flared.Log() : "";
}

std::vector<std::string> IdsOf(const json& page) {
  std::vector<std::string> ids;
  for (const auto& item : page["data"]) ids.push_back(item.value("id", ""));
  return ids;
}

json Poll(const FlaredProcess& flared, const std::string& worker, const std::string& queue,
          int max_jobs, int wait_seconds) {
  HttpReply reply = flared.Call("POST", "/flare/v1/workers/poll",
                                {{"worker_id", worker},
                                 {"queues", {queue}},
                                 {"max_jobs", max_jobs},
                                 {"wait_seconds", wait_seconds}});
  EXPECT_EQ(reply.status, 200) << reply.body;
  json answer = reply.json();
  if (!answer.is_object() || !answer.contains("jobs") || !answer["jobs"].is_array()) {
    ADD_FAILURE() << "poll answer without a jobs list: " << reply.body;
    return json::array();
  }
  return answer["jobs"];
}

HttpReply Ack(const FlaredProcess& flared, const json& claim, const std::string& worker,
              const std::string& status, const json& extra) {
  json body = {{"job_id", claim.value("id", "")},
               {"run_id", claim.value("run_id", "")},
               {"lease_id", claim.value("lease_id", "")},
               {"worker_id", worker},
               {"status", status}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return flared.Call("POST", "/flare/v1/workers/ack", body);
}

::testing::AssertionResult IsError(const HttpReply& reply, int status, const std::string& code,
                                   const std::string& field) {
  json body = reply.json();
  auto failure = [&](const std::string& why) {
    return ::testing::AssertionFailure() << why << "; wanted " << status << " " << code
                                         << (field.empty() ? "" : " field=" + field) << ", got "
                                         << reply.status << " " << reply.body.substr(0, 400);
  };
  if (reply.status != status) return failure("wrong status");
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) {
    return failure("no error object");
  }
  const json& error = body["error"];
  if (error.value("code", "") != code) return failure("wrong code");
  if (!error.contains("message") || !error["message"].is_string() ||
      error["message"].get<std::string>().empty()) {
    return failure("no message");
  }
  if (!field.empty() && error.value("field", "") != field) return failure("wrong field");
  return ::testing::AssertionSuccess();
}

json WaitForState(const FlaredProcess& flared, const std::string& id, const std::string& state,
                  milliseconds timeout) {
  json last;
  bool reached = WaitFor(
      [&] {
        HttpReply reply = flared.Call("GET", "/flare/v1/jobs/" + id);
        last = reply.json();
        return reply.status == 200 && last.value("state", "") == state;
      },
      timeout);
  EXPECT_TRUE(reached) << id << " never reached " << state << "; last: " << last.dump();
  return last;
}

}  // namespace flare::testing
