// flare_sse: event delivery latency to many live subscribers (issue 7).
//
// Starts flared (default flags), opens --subscribers SSE streams on GET /flare/v1/events
// (default 1000, flared's default --max-streams), then creates jobs at --rate per second for
// --seconds through POST /jobs (each create commits one "created" event). Every subscriber
// notes, for every frame, the time it arrived minus the event's "at" (the commit
// transaction's time, ms resolution, same machine clock): commit → frame. Reported (one
// JSON line): frames expected and received, latency p50/p90/p99/max, flared's CPU and peak
// RSS.
//
//   flare_sse --flared PATH [--dir D] [--subscribers N] [--rate R] [--seconds S]

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_flared.h"

namespace {

using Steady = std::chrono::steady_clock;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-03-18T15:30:00.123Z" → ms since the epoch (UTC).
int64_t ParseAtMs(const std::string& text) {
  std::tm tm{};
  if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  int64_t seconds = ::timegm(&tm);
  int ms = text.size() >= 23 ? std::atoi(text.substr(20, 3).c_str()) : 0;
  return seconds * 1000 + ms;
}

class Subscriber {
 public:
  Subscriber(int port, const std::string& key, std::atomic<int>& open)
      : client_("127.0.0.1", port) {
    client_.set_read_timeout(std::chrono::seconds(120));
    thread_ = std::thread([this, key, &open] {
      httplib::Headers headers = {{"Accept", "text/event-stream"},
                                  {"Authorization", "Bearer " + key}};
      client_.Get(
          "/flare/v1/events?type=created", headers,
          [&](const httplib::Response& r) {
            if (r.status == 200) ++open;
            return r.status == 200;
          },
          [this](const char* data, size_t n) {
            int64_t now = WallMs();
            buffer_.append(data, n);
            // Only whole frames: a frame cut by the chunk boundary is counted next time.
            size_t last = buffer_.rfind("\n\n");
            if (last == std::string::npos) return !stop_.load();
            for (size_t at = buffer_.find("\"at\":\""); at != std::string::npos && at < last;
                 at = buffer_.find("\"at\":\"", at + 1)) {
              latencies_.push_back(
                  static_cast<double>(now - ParseAtMs(buffer_.substr(at + 6, 24))));
            }
            buffer_.erase(0, last + 2);
            return !stop_.load();
          });
    });
  }
  void Stop() {
    stop_ = true;
    client_.stop();
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<double>& latencies() const { return latencies_; }

 private:
  httplib::Client client_;
  std::thread thread_;
  std::string buffer_;
  std::vector<double> latencies_;
  std::atomic<bool> stop_{false};
};

}  // namespace

int main(int argc, char** argv) {
  std::string flared_path, dir;
  int subscribers = 1000, rate = 100, seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--flared") flared_path = argv[i + 1];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--subscribers") subscribers = std::stoi(argv[i + 1]);
    if (flag == "--rate") rate = std::stoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::stoi(argv[i + 1]);
  }
  if (flared_path.empty()) {
    std::fprintf(stderr,
                 "usage: flare_sse --flared PATH [--dir D] [--subscribers N] [--rate R] "
                 "[--seconds S]\n");
    return 2;
  }
  if (dir.empty()) dir = std::filesystem::temp_directory_path() / "flare_sse_bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  bench::BenchFlared flared(flared_path, dir, {});
  std::atomic<int> open{0};
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < subscribers; ++i)
    subs.push_back(std::make_unique<Subscriber>(flared.port(), flared.key(), open));
  auto wait_open = Steady::now() + std::chrono::seconds(60);
  while (open.load() < subscribers && Steady::now() < wait_open)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  double cpu0 = bench::ProcessCpuSeconds(flared.pid());
  httplib::Client client("127.0.0.1", flared.port());
  httplib::Headers auth = {{"Authorization", "Bearer " + flared.key()}};
  long created = 0;
  auto start = Steady::now();
  auto interval = std::chrono::microseconds(1'000'000 / std::max(rate, 1));
  for (long i = 0; i < static_cast<long>(rate) * seconds; ++i) {
    std::this_thread::sleep_until(start + interval * i);
    auto res = client.Post("/flare/v1/jobs", auth,
                           R"({"job_type":"bench.sse","payload":{"n":1},"queue":"sse"})",
                           "application/json");
    if (res && res->status == 201) ++created;
  }
  // Let the last frames arrive (bounded).
  auto drain = Steady::now() + std::chrono::seconds(10);
  auto received = [&] {
    size_t n = 0;
    for (const auto& s : subs) n += s->latencies().size();
    return n;
  };
  while (received() < static_cast<size_t>(created) * static_cast<size_t>(open.load()) &&
         Steady::now() < drain)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  double cpu = bench::ProcessCpuSeconds(flared.pid()) - cpu0;
  long peak = flared.MemoryKib("VmHWM");
  for (auto& s : subs) s->Stop();
  std::vector<double> all;
  for (const auto& s : subs) all.insert(all.end(), s->latencies().begin(), s->latencies().end());
  nlohmann::json out = bench::Summary(all);
  out["subscribers_open"] = open.load();
  out["events"] = created;
  out["frames_expected"] = created * open.load();
  out["frames_received"] = all.size();
  out["rate_per_s"] = rate;
  out["flared_cpu_s"] = bench::R3(cpu);
  out["flared_peak_rss_mib"] = bench::R1(peak / 1024.0);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
