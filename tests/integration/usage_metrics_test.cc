// Usage and metrics against a real flared (SPEC §7): work done through the worker protocol
// shows in /usage, /usage/daily (JSON and CSV), /metrics/summary, /throughput, /queues and
// the Prometheus GET /metrics; the durable counters survive a restart; seed 000's Metrics
// requests answer 200; every bad parameter is a 400 naming its field; flarectl shows it all.

#include <cctype>
#include <map>
#include <sstream>

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

// One Prometheus text sample: name, {labels} as text, value.
struct PromSample {
  std::string name, labels;
  double value = 0;
};

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Reads a metric or label name at `at`; empty when there is none.
std::string ReadName(const std::string& line, size_t& at) {
  size_t begin = at;
  while (at < line.size() && IsNameChar(line[at], at == begin)) ++at;
  return line.substr(begin, at - begin);
}

// Reads `{k="v",…}` at `at` (escapes \\ \" \n inside values); false when malformed.
bool ReadLabels(const std::string& line, size_t& at) {
  ++at;  // '{'
  while (at < line.size() && line[at] != '}') {
    if (ReadName(line, at).empty() || line.compare(at, 2, "=\"") != 0) return false;
    for (at += 2; at < line.size() && line[at] != '"'; ++at) {
      if (line[at] == '\\') ++at;
    }
    if (at++ >= line.size()) return false;
    if (at < line.size() && line[at] == ',') ++at;
  }
  return at++ < line.size();
}

// Parses the text exposition format strictly enough to catch a malformed line: every line is
// a HELP/TYPE comment or `name{k="v",…} number`. (By hand: GCC 12 warns inside <regex> under
// the sanitizers, and CI builds with -Werror.)
std::vector<PromSample> ParsePrometheus(const std::string& text, std::string& error) {
  std::vector<PromSample> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      size_t at = 7;
      if (!ReadName(line, at).empty() && at < line.size() && line[at] == ' ') continue;
    }
    size_t at = 0;
    PromSample sample;
    sample.name = ReadName(line, at);
    size_t labels_at = at;
    bool ok =
        !sample.name.empty() && (at >= line.size() || line[at] != '{' || ReadLabels(line, at));
    sample.labels = line.substr(labels_at, at - labels_at);
    std::string value = ok && at < line.size() && line[at] == ' ' ? line.substr(at + 1) : "";
    if (value.empty() || value.find(' ') != std::string::npos) {
      error = "bad line: " + line;
      return samples;
    }
    sample.value = value == "+Inf" ? 1e308 : std::stod(value);
    samples.push_back(sample);
  }
  return samples;
}

double SampleValue(const std::vector<PromSample>& samples, const std::string& name,
                   const std::string& labels) {
  for (const auto& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return -1;
}

class UsageMetrics : public FlaredSuite {
 protected:
  // Creates `n` jobs in `queue`, then works `ok` of them to success and `bad` to failure.
  static void Work(const FlaredProcess& d, const std::string& queue, int n, int ok, int bad) {
    for (int i = 0; i < n; ++i) CreateJob(d, JobBody(queue, {{"max_attempts", 1}}));
    for (int i = 0; i < ok + bad; ++i) {
      json claims = Poll(d, "w-metrics", queue);
      ASSERT_EQ(claims.size(), 1u);
      HttpReply ack = Ack(d, claims[0], "w-metrics", i < ok ? "succeeded" : "failed",
                          {{"duration_ms", 40 + i}});
      ASSERT_EQ(ack.status, 200) << ack.body;
    }
  }
  static json Get(const FlaredProcess& d, const std::string& path) {
    HttpReply reply = d.Call("GET", path);
    EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
    return reply.json();
  }
};

TEST_F(UsageMetrics, WorkShowsInUsageSummaryThroughputAndQueues) {
  std::string queue = Unique("q");
  json usage0 = Get(flared(), "/flare/v1/usage");
  json summary0 = Get(flared(), "/flare/v1/metrics/summary?period=1h");
  Work(flared(), queue, 4, 2, 1);

  json usage = Get(flared(), "/flare/v1/usage");
  EXPECT_EQ(usage["runs_used"].get<int>() - usage0["runs_used"].get<int>(), 4);
  EXPECT_EQ(usage["runs_succeeded"].get<int>() - usage0["runs_succeeded"].get<int>(), 2);
  EXPECT_EQ(usage["runs_failed"].get<int>() - usage0["runs_failed"].get<int>(), 1);
  EXPECT_EQ(usage["runs_included"], -1);
  EXPECT_EQ(usage["active_jobs_limit"], -1);
  for (const char* field : {"period", "runs_used", "runs_included", "active_jobs",
                            "active_jobs_limit", "webhook_deliveries"}) {
    EXPECT_TRUE(usage.contains(field)) << field;
  }

  json summary = Get(flared(), "/flare/v1/metrics/summary?period=1h");
  EXPECT_EQ(summary["counts"]["created"].get<int>() - summary0["counts"]["created"].get<int>(), 4);
  EXPECT_EQ(summary["counts"]["succeeded"].get<int>() - summary0["counts"]["succeeded"].get<int>(),
            2);
  EXPECT_GE(summary["duration_ms"]["count"].get<int>(), 3);
  EXPECT_GE(summary["duration_ms"]["p50"].get<int>(), 36);  // 40–42 ms, ±10% bucket error
  EXPECT_LE(summary["duration_ms"]["p99"].get<int>(), 1000);
  EXPECT_TRUE(summary["queue_wait_ms"]["p95"].is_number()) << summary.dump();
  EXPECT_TRUE(summary["success_rate"].is_number());

  json throughput = Get(flared(), "/flare/v1/metrics/throughput?period=1h&granularity=1m");
  ASSERT_EQ(throughput["data"].size(), 60u);
  int created = 0;
  for (const auto& bucket : throughput["data"]) created += bucket["created"].get<int>();
  EXPECT_GE(created, 4);
  EXPECT_TRUE(IsUtcMillis(throughput["data"][0]["start"]));

  json queues = Get(flared(), "/flare/v1/metrics/queues");
  json mine;
  for (const auto& q : queues["data"]) {
    if (q["queue"] == queue) mine = q;
  }
  EXPECT_EQ(mine, json({{"queue", queue},
                        {"pending", 1},
                        {"scheduled", 0},
                        {"processing", 0},
                        {"retrying", 0}}));
}

TEST_F(UsageMetrics, DailyUsageAsJsonAndCsv) {
  std::string queue = Unique("q");
  Work(flared(), queue, 2, 1, 0);
  json daily = Get(flared(), "/flare/v1/usage/daily?days=7");
  ASSERT_EQ(daily["data"].size(), 7u);
  const json& today = daily["data"][6];
  EXPECT_GE(today["runs"].get<int>(), 2);
  HttpReply csv = flared().Call("GET", "/flare/v1/usage/daily?days=7&format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("Content-Type").rfind("text/csv", 0), 0u) << csv.header("Content-Type");
  std::vector<std::string> lines;
  std::istringstream in(csv.body);
  for (std::string line; std::getline(in, line);) {
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\r');  // RFC 4180 line ends
    lines.push_back(line.substr(0, line.size() - 1));
  }
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0], "date,runs,succeeded,failed,webhook_deliveries");
  EXPECT_EQ(lines[7], today["date"].get<std::string>() + "," +
                          std::to_string(today["runs"].get<int>()) + "," +
                          std::to_string(today["succeeded"].get<int>()) + "," +
                          std::to_string(today["failed"].get<int>()) + "," +
                          std::to_string(today["webhook_deliveries"].get<int>()));
}

TEST_F(UsageMetrics, PrometheusTextParsesAndItsCountersMatch) {
  std::string queue = Unique("q");
  Work(flared(), queue, 3, 1, 1);
  HttpReply reply = flared().Call("GET", "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  std::string error;
  auto samples = ParsePrometheus(reply.body, error);
  ASSERT_TRUE(error.empty()) << error;
  std::string q = "queue=\"" + queue + "\"";
  EXPECT_EQ(SampleValue(samples, "flare_runs_total", "{" + q + ",state=\"pending\"}"), 3);
  EXPECT_EQ(SampleValue(samples, "flare_runs_total", "{" + q + ",state=\"processing\"}"), 2);
  EXPECT_EQ(SampleValue(samples, "flare_runs_total", "{" + q + ",state=\"succeeded\"}"), 1);
  EXPECT_EQ(SampleValue(samples, "flare_runs_total", "{" + q + ",state=\"dead_letter\"}"), 1);
  EXPECT_EQ(SampleValue(samples, "flare_queue_depth", "{" + q + ",state=\"pending\"}"), 1);
  EXPECT_EQ(SampleValue(samples, "flare_queue_depth", "{" + q + ",state=\"processing\"}"), 0);
  for (const char* h :
       {"flare_queue_wait_seconds", "flare_run_duration_seconds", "flare_http_target_seconds",
        "flare_writer_commit_seconds", "flare_writer_group_size"}) {
    double count = SampleValue(samples, std::string(h) + "_count", "");
    EXPECT_EQ(SampleValue(samples, std::string(h) + "_bucket", "{le=\"+Inf\"}"), count) << h;
    EXPECT_GE(SampleValue(samples, std::string(h) + "_sum", ""), 0) << h;
  }
  EXPECT_GE(SampleValue(samples, "flare_run_duration_seconds_count", ""), 2);
  EXPECT_GE(SampleValue(samples, "flare_writer_commit_seconds_count", ""), 1);
  EXPECT_TRUE(IsError(flared().Call("GET", "/metrics", nullptr, ""), 401, "unauthorized"));
}

TEST_F(UsageMetrics, SeedMetricsRequestsAnswer200) {
  for (const char* path :
       {"/flare/v1/metrics/summary?period=24h",
        "/flare/v1/metrics/throughput?period=24h&granularity=1h", "/flare/v1/metrics/queues",
        "/flare/v1/usage", "/flare/v1/usage?period=2026-01", "/flare/v1/usage/daily?days=30"}) {
    HttpReply reply = flared().Call("GET", path);
    EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
    EXPECT_TRUE(reply.json().is_object()) << path;
  }
}

TEST_F(UsageMetrics, EveryBadParameterIsA400NamingItsField) {
  const std::pair<const char*, const char*> cases[] = {
      {"/flare/v1/usage?period=2026-13", "period"},
      {"/flare/v1/usage?period=last-month", "period"},
      {"/flare/v1/usage/daily?days=0", "days"},
      {"/flare/v1/usage/daily?days=91", "days"},
      {"/flare/v1/usage/daily?days=x", "days"},
      {"/flare/v1/usage/daily?format=xml", "format"},
      {"/flare/v1/metrics/summary?period=90d", "period"},
      {"/flare/v1/metrics/throughput?period=2h", "period"},
      {"/flare/v1/metrics/throughput?period=24h&granularity=10s", "granularity"},
      {"/flare/v1/metrics/throughput?period=1h&granularity=1d", "granularity"},
      {"/flare/v1/metrics/throughput?period=30d&granularity=1m", "granularity"},
  };
  for (const auto& [path, field] : cases) {
    EXPECT_TRUE(IsError(flared().Call("GET", path), 400, "invalid_request", field)) << path;
  }
}

TEST_F(UsageMetrics, FlarectlShowsUsageAndMetrics) {
  std::string queue = Unique("q");
  Work(flared(), queue, 2, 1, 0);
  auto usage = flared().Flarectl({"-o", "json", "usage"});
  ASSERT_EQ(usage.exit_code, 0) << usage.err;
  EXPECT_TRUE(json::parse(usage.out).contains("runs_used"));
  auto show = flared().Flarectl({"-o", "json", "usage", "show", "--period", "2026-01"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(json::parse(show.out)["period"], "2026-01");
  auto bad = flared().Flarectl({"usage", "show", "--period", "2026-13"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("period"), std::string::npos) << bad.err;
  auto csv = flared().Flarectl({"usage", "daily", "--days", "3", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("date,runs,succeeded,failed,webhook_deliveries\r\n", 0), 0u) << csv.out;
  auto daily = flared().Flarectl({"usage", "daily", "--days", "3"});
  ASSERT_EQ(daily.exit_code, 0) << daily.err;
  EXPECT_EQ(std::count(daily.out.begin(), daily.out.end(), '\n'), 3);  // piped: no header
  auto summary = flared().Flarectl({"-o", "json", "metrics", "summary", "--period", "1h"});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_GE(json::parse(summary.out)["counts"]["created"].get<int>(), 2);
  auto throughput = flared().Flarectl(
      {"-o", "json", "metrics", "throughput", "--period", "1h", "--granularity", "5m"});
  ASSERT_EQ(throughput.exit_code, 0) << throughput.err;
  EXPECT_EQ(json::parse(throughput.out)["data"].size(), 12u);
  auto queues = flared().Flarectl({"metrics", "queues"});
  ASSERT_EQ(queues.exit_code, 0) << queues.err;
  EXPECT_NE(queues.out.find(queue + "\t1\t0\t0\t0"), std::string::npos) << queues.out;
}

TEST(UsageMetricsRestart, DurableCountersAndRebuiltLatenciesSurviveARestart) {
  FlaredProcess flared;
  std::string queue = "restart-q";
  for (int i = 0; i < 3; ++i) CreateJob(flared, JobBody(queue, {{"max_attempts", 1}}));
  for (int i = 0; i < 2; ++i) {
    json claims = Poll(flared, "w", queue);
    ASSERT_EQ(claims.size(), 1u);
    ASSERT_EQ(Ack(flared, claims[0], "w", "succeeded", {{"duration_ms", 250}}).status, 200);
  }
  auto snapshot = [&] {
    return json{{"usage", flared.Call("GET", "/flare/v1/usage").json()},
                {"queues", flared.Call("GET", "/flare/v1/metrics/queues").json()},
                {"summary", flared.Call("GET", "/flare/v1/metrics/summary?period=1h").json()},
                {"daily", flared.Call("GET", "/flare/v1/usage/daily?days=2").json()}};
  };
  json before = snapshot();
  EXPECT_EQ(before["usage"]["runs_used"], 3);
  flared.Restart();
  json after = snapshot();
  EXPECT_EQ(after["usage"], before["usage"]);
  EXPECT_EQ(after["queues"], before["queues"]);
  EXPECT_EQ(after["daily"], before["daily"]);
  EXPECT_EQ(after["summary"]["counts"], before["summary"]["counts"]);
  EXPECT_EQ(after["summary"]["duration_ms"], before["summary"]["duration_ms"]);
  EXPECT_EQ(after["summary"]["duration_ms"]["p50"], 250);
  EXPECT_EQ(after["summary"]["queue_wait_ms"]["count"], 2);
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing
