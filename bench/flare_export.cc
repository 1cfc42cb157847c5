// flare_export: export throughput and flared's memory (issue 7).
//
// Fills a fresh data dir with --jobs jobs (default 1,000,000) through POST /jobs/batch,
// restarts flared (so its peak RSS counts only what follows), and streams
// GET /flare/v1/jobs/export as JSONL, then (after another restart) as CSV, to nowhere;
// --repeat N does that N times per format (a restart before each) and adds the median.
// Reported (one JSON line per export on stdout): rows, bytes, seconds, rows/s, flared's CPU
// per row, its RSS before the export and its peak RSS (VmHWM) after it. flared runs at
// default flags except --export-cooldown-seconds 0 (the exports follow each other within the
// minute). --reuse keeps a data dir that an earlier run filled with the same --jobs.
//
// The client is libcurl with 512 KiB reads that counts newlines with memchr, so it costs
// little beside flared (cpp-httplib's client read 4 KiB per recv and scanned byte by byte).
// It sends no Accept-Encoding, like `curl -o /dev/null`: flared compresses text/csv for a
// client that accepts gzip or br, and that would measure the compressor.
//
//   flare_export --flared PATH [--dir D] [--jobs N] [--cap-s S] [--repeat N] [--reuse]

#include <curl/curl.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bench/bench_common.h"
#include "bench/bench_fill.h"
#include "bench/bench_flared.h"

namespace {

using Steady = std::chrono::steady_clock;

struct Options {
  std::string flared;
  std::string dir;
  long jobs = 1'000'000;
  int cap_s = 900;
  int repeat = 1;
  bool reuse = false;
};

void Fill(const bench::BenchFlared& flared, long jobs, Steady::time_point deadline) {
  bench::FillInBatches(flared, jobs, deadline, [](long n) -> nlohmann::json {
    return {{"job_type", "bench.export"},
            {"queue", "q" + std::to_string(n % 8)},
            {"payload", {{"n", n}, {"text", "hello, \"world\""}}},
            {"tags", {{"env", "bench"}}}};
  });
}

struct Received {
  size_t bytes = 0;
  size_t lines = 0;
};

size_t CountLines(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  size_t n = size * count;
  received->bytes += n;
  const char* end = data + n;
  for (const char* at = data;
       (at = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at))));
       ++at) {
    ++received->lines;
  }
  return n;
}

nlohmann::json ExportOnce(const bench::BenchFlared& flared, const std::string& format,
                          const std::string& from, const std::string& until) {
  long rss_before = flared.MemoryKib("VmRSS");
  double cpu_before = bench::ProcessCpuSeconds(flared.pid());
  std::string url = "http://127.0.0.1:" + std::to_string(flared.port()) +
                    "/flare/v1/jobs/export?from=" + from + "&until=" + until + "&format=" + format;
  std::string auth = "Authorization: Bearer " + flared.key();
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
  Received received;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CountLines);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
  auto start = Steady::now();
  CURLcode code = curl_easy_perform(curl);
  double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  double cpu = bench::ProcessCpuSeconds(flared.pid()) - cpu_before;
  size_t rows = format == "csv" && received.lines > 0 ? received.lines - 1 : received.lines;
  double per_row_us = rows > 0 ? cpu * 1e6 / static_cast<double>(rows) : 0;
  nlohmann::json out = {{"format", format},
                        {"status", code == CURLE_OK ? status : 0},
                        {"rows", rows},
                        {"bytes", received.bytes},
                        {"seconds", bench::R3(seconds)},
                        {"rows_per_s", static_cast<long>(static_cast<double>(rows) / seconds)},
                        {"flared_cpu_us_per_row", bench::R3(per_row_us)},
                        {"rss_before_mib", bench::R1(rss_before / 1024.0)},
                        {"peak_rss_mib", bench::R1(flared.MemoryKib("VmHWM") / 1024.0)}};
  return out;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
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
    if (flag == "--repeat") o.repeat = std::stoi(argv[i + 1]);
  }
  for (int i = 1; i < argc; ++i) o.reuse = o.reuse || std::string(argv[i]) == "--reuse";
  if (o.flared.empty()) {
    std::fprintf(stderr,
                 "usage: flare_export --flared PATH [--dir D] [--jobs N] [--cap-s S] [--repeat N] "
                 "[--reuse]\n");
    return 2;
  }
  if (o.dir.empty()) o.dir = std::filesystem::temp_directory_path() / "flare_export_bench";
  // The marker names how many jobs a finished fill left in the dir.
  std::string marker = o.dir + "/bench_filled_jobs";
  long filled = 0;
  if (std::ifstream in(marker); in) in >> filled;
  bool fill = !o.reuse || filled != o.jobs;
  if (fill) {
    std::filesystem::remove_all(o.dir);
    std::filesystem::create_directories(o.dir);
  }
  auto deadline = Steady::now() + std::chrono::seconds(o.cap_s);
  std::vector<std::string> flags = {"--export-cooldown-seconds", "0"};
  std::string from = "2000-01-01T00:00:00Z";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (fill) {
    bench::BenchFlared flared(o.flared, o.dir, flags);
    auto start = Steady::now();
    Fill(flared, o.jobs, deadline);
    double s = std::chrono::duration<double>(Steady::now() - start).count();
    std::printf("%s\n",
                nlohmann::json({{"phase", "fill"}, {"jobs", o.jobs}, {"seconds", bench::R3(s)}})
                    .dump()
                    .c_str());
    std::ofstream(marker) << o.jobs << "\n";
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
    std::vector<double> rates, cpu, rss;
    for (int run = 0; run < o.repeat && Steady::now() < deadline; ++run) {
      bench::BenchFlared flared(o.flared, o.dir, flags);
      auto figures = ExportOnce(flared, format, from, until_text);
      std::printf("%s\n", figures.dump().c_str());
      std::fflush(stdout);
      rates.push_back(figures["rows_per_s"].get<double>());
      cpu.push_back(figures["flared_cpu_us_per_row"].get<double>());
      rss.push_back(figures["peak_rss_mib"].get<double>());
    }
    if (rates.size() > 1) {
      std::printf("%s\n", nlohmann::json({{"format", format},
                                          {"runs", rates.size()},
                                          {"median_rows_per_s", Median(rates)},
                                          {"median_flared_cpu_us_per_row", Median(cpu)},
                                          {"median_peak_rss_mib", Median(rss)}})
                              .dump()
                              .c_str());
    }
  }
  curl_global_cleanup();
  return 0;
}
