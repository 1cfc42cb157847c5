// flare_export: export throughput and flared's memory (issue 7).
//
// Fills a fresh data dir with --jobs jobs (default 1,000,000) through POST /jobs/batch,
// restarts flared (so its peak RSS counts only what follows), and streams
// GET /flare/v1/jobs/export as JSONL, then (after another restart) as CSV, to nowhere.
// Reported (one JSON line per format on stdout): rows, bytes, seconds, rows/s, flared's RSS
// before the export and its peak RSS (VmHWM) after it. flared runs at default flags except
// --export-cooldown-seconds 0 (the two exports follow each other within the minute).
//
//   flare_export --flared PATH [--dir D] [--jobs N] [--cap-s S]

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bench/bench_common.h"
#include "bench/bench_flared.h"

namespace {

using Steady = std::chrono::steady_clock;

struct Options {
  std::string flared;
  std::string dir;
  long jobs = 1'000'000;
  int cap_s = 900;
};

httplib::Headers Auth(const bench::BenchFlared& f) {
  return {{"Authorization", "Bearer " + f.key()}};
}

void Fill(const bench::BenchFlared& flared, long jobs, Steady::time_point deadline) {
  constexpr int kBatch = 1000;
  auto worker = [&](long first, long count) {
    httplib::Client client("127.0.0.1", flared.port());
    client.set_read_timeout(std::chrono::seconds(120));
    for (long done = 0; done < count && Steady::now() < deadline; done += kBatch) {
      nlohmann::json body = nlohmann::json::array();
      for (long i = done; i < std::min(done + kBatch, count); ++i) {
        body.push_back({{"job_type", "bench.export"},
                        {"queue", "q" + std::to_string((first + i) % 8)},
                        {"payload", {{"n", first + i}, {"text", "hello, \"world\""}}},
                        {"tags", {{"env", "bench"}}}});
      }
      auto res = client.Post("/flare/v1/jobs/batch", Auth(flared),
                             nlohmann::json{{"jobs", body}}.dump(), "application/json");
      if (!res || res->status != 201) {
        std::fprintf(stderr, "batch failed: %d %s\n", res ? res->status : 0,
                     res ? res->body.substr(0, 200).c_str() : "");
        std::exit(1);
      }
    }
  };
  std::thread a(worker, 0, jobs / 2);
  std::thread b(worker, jobs / 2, jobs - jobs / 2);
  a.join();
  b.join();
}

nlohmann::json ExportOnce(const bench::BenchFlared& flared, const std::string& format,
                          const std::string& from, const std::string& until) {
  httplib::Client client("127.0.0.1", flared.port());
  client.set_read_timeout(std::chrono::seconds(600));
  long rss_before = flared.MemoryKib("VmRSS");
  size_t bytes = 0, lines = 0;
  auto start = Steady::now();
  auto res =
      client.Get("/flare/v1/jobs/export?from=" + from + "&until=" + until + "&format=" + format,
                 Auth(flared), [&](const char* data, size_t n) {
                   bytes += n;
                   for (size_t i = 0; i < n; ++i) lines += data[i] == '\n';
                   return true;
                 });
  double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  size_t rows = format == "csv" && lines > 0 ? lines - 1 : lines;
  nlohmann::json out = {{"format", format},
                        {"status", res ? res->status : 0},
                        {"rows", rows},
                        {"bytes", bytes},
                        {"seconds", bench::R3(seconds)},
                        {"rows_per_s", static_cast<long>(static_cast<double>(rows) / seconds)},
                        {"rss_before_mib", bench::R1(rss_before / 1024.0)},
                        {"peak_rss_mib", bench::R1(flared.MemoryKib("VmHWM") / 1024.0)}};
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
    if (flag == "--cap-s") o.cap_s = std::stoi(argv[i + 1]);
  }
  if (o.flared.empty()) {
    std::fprintf(stderr, "usage: flare_export --flared PATH [--dir D] [--jobs N] [--cap-s S]\n");
    return 2;
  }
  if (o.dir.empty()) o.dir = std::filesystem::temp_directory_path() / "flare_export_bench";
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);
  auto deadline = Steady::now() + std::chrono::seconds(o.cap_s);
  std::vector<std::string> flags = {"--export-cooldown-seconds", "0"};
  std::string from = "2000-01-01T00:00:00Z";
  {
    bench::BenchFlared flared(o.flared, o.dir, flags);
    auto start = Steady::now();
    Fill(flared, o.jobs, deadline);
    double s = std::chrono::duration<double>(Steady::now() - start).count();
    std::printf("%s\n",
                nlohmann::json({{"phase", "fill"}, {"jobs", o.jobs}, {"seconds", bench::R3(s)}})
                    .dump()
                    .c_str());
  }
  auto now = std::chrono::system_clock::now();
  auto until = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // The window: the last 89 days up to a minute from now.
  auto fmt = [](long long epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return std::string(buf);
  };
  from = fmt(until - 89LL * 86400);
  std::string until_text = fmt(until + 60);
  for (const char* format : {"jsonl", "csv"}) {
    bench::BenchFlared flared(o.flared, o.dir, flags);
    auto figures = ExportOnce(flared, format, from, until_text);
    std::printf("%s\n", figures.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}
