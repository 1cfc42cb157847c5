// flare_soak: flared's memory with a large store, idle and under a mixed soak (issue 8).
//
// Phase "idle": fills a fresh data dir with --jobs jobs (default 1,000,000; 1000 per
// POST /jobs/batch, queue "stored" that nobody polls), waits until flared is idle, reports
// VmRSS / VmHWM and the database size; restarts flared on the same data dir and reports the
// idle figures again (what a daemon holds for a 1M-job store, without the fill's history).
//
// Phase "soak" (on the restarted daemon, --soak-s seconds, 0 skips it): bounded-rate single
// creates (every 10th an HTTP job to a loopback sink), two workers polling/acking queue
// "soak", --cron `@every 1s` HTTP jobs and two `* * * * *` ones, a list of jobs and of runs
// every second, and an export of the soak's window every 60 s. Every --sample-s seconds it
// samples VmRSS and the db + wal size; at the end it prints the table and one JSON line with
// the verdict: RSS grew when the median of the last third of samples exceeds the median of
// the first third (after --warmup-s) by more than max(2 MiB, 5 %).
//
// flared runs with --durability full --allow-private-targets --export-cooldown-seconds 0
// (the rest at defaults). Every loop is bounded by the soak's deadline; flared is stopped
// (SIGTERM) when the program ends or is interrupted (SIGINT/SIGTERM).
//
//   flare_soak --flared PATH [--dir D] [--jobs N] [--soak-s S] [--sample-s S] [--warmup-s S]
//              [--rate R] [--cron C] [--keep-dir 1]

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_fill.h"
#include "bench/bench_flared.h"

namespace {

// The flared running now, so a SIGINT/SIGTERM to this program stops it too (a soak is long
// and gets interrupted); the normal path stops it in ~BenchFlared.
volatile sig_atomic_t g_flared_pid = -1;

void StopFlaredAndExit(int) {
  if (g_flared_pid > 0) ::kill(g_flared_pid, SIGTERM);
  ::_exit(130);
}

using Steady = std::chrono::steady_clock;

struct Options {
  std::string flared;
  std::string dir;
  long jobs = 1'000'000;
  int soak_s = 1800;
  int sample_s = 10;
  int warmup_s = 60;
  int rate = 50;  // single creates per second
  int cron = 20;  // `@every 1s` HTTP jobs
  bool keep_dir = false;
};

httplib::Headers Auth(const bench::BenchFlared& f) {
  return {{"Authorization", "Bearer " + f.key()}};
}

std::string Iso(long long epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

long long NowEpoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Bytes of the main database file and of its WAL in the data dir.
struct DbSize {
  uintmax_t db = 0, wal = 0;
};
DbSize MeasureDb(const std::string& dir) {
  DbSize s;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name.ends_with(".db")) s.db += e.file_size();
    if (name.ends_with(".db-wal")) s.wal += e.file_size();
  }
  return s;
}

double Mib(double kib_or_bytes, double unit) { return bench::R1(kib_or_bytes / unit); }

void Fill(const bench::BenchFlared& flared, long jobs, Steady::time_point deadline) {
  bench::FillInBatches(flared, jobs, deadline, [](long n) -> nlohmann::json {
    return {{"job_type", "bench.soak"},
            {"queue", "stored"},
            {"payload", {{"n", n}, {"to", "user@example.com"}}}};
  });
}

// Waits (at most 120 s) until flared used < 1 % of a core over two consecutive seconds.
void AwaitIdle(const bench::BenchFlared& flared) {
  auto deadline = Steady::now() + std::chrono::seconds(120);
  int quiet = 0;
  double last = bench::ProcessCpuSeconds(flared.pid());
  while (quiet < 2 && Steady::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double now = bench::ProcessCpuSeconds(flared.pid());
    quiet = now - last < 0.01 ? quiet + 1 : 0;
    last = now;
  }
}

nlohmann::json IdleFigures(const bench::BenchFlared& flared, const std::string& dir,
                           const std::string& phase) {
  DbSize db = MeasureDb(dir);
  return {{"phase", phase},
          {"rss_mib", Mib(static_cast<double>(flared.MemoryKib("VmRSS")), 1024.0)},
          {"hwm_mib", Mib(static_cast<double>(flared.MemoryKib("VmHWM")), 1024.0)},
          {"db_mib", Mib(static_cast<double>(db.db), 1048576.0)},
          {"wal_mib", Mib(static_cast<double>(db.wal), 1048576.0)}};
}

struct Sample {
  double t_s;
  double rss_mib, hwm_mib, db_mib, wal_mib;
  long created, acked, sink, lists, exports, errors;
};

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

nlohmann::json Soak(const bench::BenchFlared& flared, const Options& o) {
  // The loopback sink the HTTP jobs call.
  std::atomic<long> sink_requests{0};
  httplib::Server sink;
  sink.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    sink_requests.fetch_add(1, std::memory_order_relaxed);
    res.set_content("ok", "text/plain");
  });
  int sink_port = sink.bind_to_any_port("127.0.0.1");
  std::thread sink_thread([&] { sink.listen_after_bind(); });
  std::string sink_url = "http://127.0.0.1:" + std::to_string(sink_port);

  std::atomic<long> created{0}, acked{0}, lists{0}, exports{0}, errors{0};
  std::atomic<bool> stop{false};
  auto start = Steady::now();
  auto deadline = start + std::chrono::seconds(o.soak_s);
  long long soak_from = NowEpoch() - 1;

  {  // Scheduled HTTP jobs: --cron `@every 1s` and two `* * * * *`.
    httplib::Client c("127.0.0.1", flared.port());
    auto cron = [&](const std::string& schedule, int i) {
      nlohmann::json j = {
          {"schedule", schedule},
          {"timezone", "UTC"},
          {"http", {{"url", sink_url + "/cron/" + std::to_string(i)}, {"method", "POST"}}}};
      auto r = c.Post("/flare/v1/jobs", Auth(flared), j.dump(), "application/json");
      if (!r || r->status != 201) errors++;
    };
    for (int i = 0; i < o.cron; ++i) cron("@every 1s", i);
    for (int i = 0; i < 2; ++i) cron("* * * * *", o.cron + i);
  }

  std::vector<std::thread> threads;
  // Creator: --rate single creates per second; every 10th is an HTTP job to the sink.
  threads.emplace_back([&] {
    httplib::Client c("127.0.0.1", flared.port());
    auto period = std::chrono::nanoseconds(1'000'000'000L / std::max(1, o.rate));
    auto next = Steady::now();
    for (long i = 0; !stop && Steady::now() < deadline; ++i) {
      nlohmann::json j;
      if (i % 10 == 9) {
        j = {{"http", {{"url", sink_url + "/one/" + std::to_string(i)}, {"method", "POST"}}}};
      } else {
        j = {{"job_type", "bench.soak"}, {"queue", "soak"}, {"payload", {{"n", i}}}};
      }
      auto r = c.Post("/flare/v1/jobs", Auth(flared), j.dump(), "application/json");
      if (r && r->status == 201)
        created++;
      else
        errors++;
      next += period;
      std::this_thread::sleep_until(next);
    }
  });
  // Two workers: long-poll queue "soak" (max_jobs 10, wait 1 s) and ack each job.
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      httplib::Client c("127.0.0.1", flared.port());
      c.set_read_timeout(std::chrono::seconds(30));
      std::string worker = "soak-w" + std::to_string(w);
      nlohmann::json poll = {{"worker_id", worker},
                             {"queues", nlohmann::json::array({"soak"})},
                             {"max_jobs", 10},
                             {"wait_seconds", 1}};
      while (!stop && Steady::now() < deadline) {
        auto r = c.Post("/flare/v1/workers/poll", Auth(flared), poll.dump(), "application/json");
        if (!r || r->status != 200) {
          errors++;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        auto claimed = nlohmann::json::parse(r->body);  // named: the loop below refers into it
        for (const auto& job : claimed.at("jobs")) {
          nlohmann::json ack = {{"job_id", job.at("id")},
                                {"run_id", job.at("run_id")},
                                {"lease_id", job.at("lease_id")},
                                {"worker_id", worker},
                                {"status", "succeeded"}};
          auto a = c.Post("/flare/v1/workers/ack", Auth(flared), ack.dump(), "application/json");
          if (a && a->status / 100 == 2)
            acked++;
          else
            errors++;
        }
      }
    });
  }
  // Lists every second, an export of the soak's window every 60 s.
  threads.emplace_back([&] {
    httplib::Client c("127.0.0.1", flared.port());
    c.set_read_timeout(std::chrono::seconds(120));
    auto next_export = Steady::now() + std::chrono::seconds(30);
    while (!stop && Steady::now() < deadline) {
      for (const char* path : {"/flare/v1/jobs?limit=100", "/flare/v1/runs?limit=100",
                               "/flare/v1/jobs?queue=stored&limit=100"}) {
        auto r = c.Get(path, Auth(flared));
        if (r && r->status == 200)
          lists++;
        else
          errors++;
      }
      if (Steady::now() >= next_export) {
        next_export += std::chrono::seconds(60);
        std::string path = "/flare/v1/jobs/export?format=jsonl&from=" + Iso(soak_from) +
                           "&until=" + Iso(NowEpoch() + 60);
        auto r = c.Get(path, Auth(flared), [](const char*, size_t) { return true; });
        if (r && r->status == 200)
          exports++;
        else
          errors++;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });

  // Sampler (this thread).
  std::vector<Sample> samples;
  std::printf("%8s %9s %9s %9s %9s %9s %9s %9s %7s %6s\n", "t_s", "rss_mib", "hwm_mib", "db_mib",
              "wal_mib", "created", "acked", "sink", "lists", "errors");
  for (auto next = start; next <= deadline; next += std::chrono::seconds(o.sample_s)) {
    std::this_thread::sleep_until(next);
    DbSize db = MeasureDb(o.dir);
    Sample s{std::chrono::duration<double>(Steady::now() - start).count(),
             Mib(static_cast<double>(flared.MemoryKib("VmRSS")), 1024.0),
             Mib(static_cast<double>(flared.MemoryKib("VmHWM")), 1024.0),
             Mib(static_cast<double>(db.db), 1048576.0),
             Mib(static_cast<double>(db.wal), 1048576.0),
             created.load(),
             acked.load(),
             sink_requests.load(),
             lists.load(),
             exports.load(),
             errors.load()};
    samples.push_back(s);
    std::printf("%8.0f %9.1f %9.1f %9.1f %9.1f %9ld %9ld %9ld %7ld %6ld\n", s.t_s, s.rss_mib,
                s.hwm_mib, s.db_mib, s.wal_mib, s.created, s.acked, s.sink, s.lists, s.errors);
    std::fflush(stdout);
  }
  stop = true;
  for (auto& t : threads) t.join();
  sink.stop();
  sink_thread.join();

  std::vector<double> after;
  for (const auto& s : samples)
    if (s.t_s >= o.warmup_s) after.push_back(s.rss_mib);
  size_t third = after.size() / 3;
  double first = Median({after.begin(), after.begin() + static_cast<long>(third)});
  double last = Median({after.end() - static_cast<long>(third), after.end()});
  double limit = std::max(2.0, first * 0.05);
  nlohmann::json out = {{"phase", "soak"},
                        {"seconds", o.soak_s},
                        {"samples", samples.size()},
                        {"created", created.load()},
                        {"acked", acked.load()},
                        {"sink_requests", sink_requests.load()},
                        {"lists", lists.load()},
                        {"exports", exports.load()},
                        {"errors", errors.load()},
                        {"rss_first_third_median_mib", first},
                        {"rss_last_third_median_mib", last},
                        {"rss_max_mib", samples.empty() ? NAN : samples.back().hwm_mib},
                        {"db_mib_start", samples.empty() ? NAN : samples.front().db_mib},
                        {"db_mib_end", samples.empty() ? NAN : samples.back().db_mib},
                        {"wal_mib_end", samples.empty() ? NAN : samples.back().wal_mib}};
  out["rss_grew"] = third == 0 ? nlohmann::json("too few samples after warm-up")
                               : nlohmann::json(last - first > limit);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--flared") o.flared = argv[i + 1];
    if (flag == "--dir") o.dir = argv[i + 1];
    if (flag == "--jobs") o.jobs = std::stol(argv[i + 1]);
    if (flag == "--soak-s") o.soak_s = std::stoi(argv[i + 1]);
    if (flag == "--sample-s") o.sample_s = std::max(1, std::stoi(argv[i + 1]));
    if (flag == "--warmup-s") o.warmup_s = std::stoi(argv[i + 1]);
    if (flag == "--rate") o.rate = std::stoi(argv[i + 1]);
    if (flag == "--cron") o.cron = std::stoi(argv[i + 1]);
    if (flag == "--keep-dir") o.keep_dir = std::string(argv[i + 1]) == "1";
  }
  if (o.flared.empty()) {
    std::fprintf(stderr,
                 "usage: flare_soak --flared PATH [--dir D] [--jobs N] [--soak-s S] "
                 "[--sample-s S] [--warmup-s S] [--rate R] [--cron C] [--keep-dir 1]\n");
    return 2;
  }
  if (o.dir.empty()) o.dir = std::filesystem::temp_directory_path() / "flare_soak_bench";
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);
  ::signal(SIGINT, StopFlaredAndExit);
  ::signal(SIGTERM, StopFlaredAndExit);
  std::vector<std::string> flags = {"--durability", "full", "--allow-private-targets",
                                    "--export-cooldown-seconds", "0"};
  {
    bench::BenchFlared flared(o.flared, o.dir, flags);
    g_flared_pid = flared.pid();
    auto start = Steady::now();
    Fill(flared, o.jobs, start + std::chrono::seconds(1800));
    double s = std::chrono::duration<double>(Steady::now() - start).count();
    AwaitIdle(flared);
    auto j = IdleFigures(flared, o.dir, "idle_after_fill");
    j["jobs"] = o.jobs;
    j["fill_seconds"] = bench::R3(s);
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  {
    bench::BenchFlared flared(o.flared, o.dir, flags);
    g_flared_pid = flared.pid();
    AwaitIdle(flared);
    std::printf("%s\n", IdleFigures(flared, o.dir, "idle_after_restart").dump().c_str());
    std::fflush(stdout);
    if (o.soak_s > 0) {
      auto j = Soak(flared, o);
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
      std::printf("%s\n", IdleFigures(flared, o.dir, "after_soak").dump().c_str());
    }
  }
  if (!o.keep_dir) std::filesystem::remove_all(o.dir);
  return 0;
}
