#pragma once
// Figures and CPU accounting shared by the bench programs (flare_load, flare_sched).

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bench {

// The same rank rule as the peers' percentile(): ceil(p/100 · n) − 1.
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return NAN;
  long idx = static_cast<long>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))) - 1;
  idx = std::clamp(idx, 0L, static_cast<long>(sorted.size()) - 1);
  return sorted[static_cast<size_t>(idx)];
}

inline double R3(double x) { return std::round(x * 1000.0) / 1000.0; }
inline double R1(double x) { return std::round(x * 10.0) / 10.0; }

/// n, p50/p90/p99/max/mean (ms) of a sample.
inline nlohmann::json Summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  nlohmann::json j;
  j["n"] = ms.size();
  j["p50_ms"] = R3(Percentile(ms, 50));
  j["p90_ms"] = R3(Percentile(ms, 90));
  j["p99_ms"] = R3(Percentile(ms, 99));
  j["max_ms"] = ms.empty() ? 0.0 : R3(ms.back());
  j["mean_ms"] = ms.empty() ? 0.0 : R3(sum / static_cast<double>(ms.size()));
  return j;
}

inline double SelfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, from /proc/PID/stat (fields 14 and 15, in ticks).
inline double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return NAN;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return NAN;
  std::vector<std::string> fields;
  size_t pos = close + 2;
  while (pos < stat.size() && fields.size() < 15) {
    size_t sp = stat.find(' ', pos);
    if (sp == std::string::npos) sp = stat.size();
    fields.push_back(stat.substr(pos, sp - pos));
    pos = sp + 1;
  }
  if (fields.size() < 13) return NAN;
  // After the ')' the fields start at #3 (state), so utime (#14) is index 11, stime index 12.
  double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU used by this client and by flared over one timed phase.
class CpuMeter {
 public:
  explicit CpuMeter(int server_pid)
      : server_pid_(server_pid),
        self0_(SelfCpuSeconds()),
        server0_(ProcessCpuSeconds(server_pid)) {}
  void Put(nlohmann::json& out, double jobs) const {
    double self = SelfCpuSeconds() - self0_;
    out["client_cpu_s"] = R3(self);
    out["client_cpu_us_per_job"] = R1(self / jobs * 1e6);
    if (server_pid_ > 0) {
      double server = ProcessCpuSeconds(server_pid_) - server0_;
      out["flared_cpu_s"] = R3(server);
      out["flared_cpu_us_per_job"] = R1(server / jobs * 1e6);
    }
  }

 private:
  int server_pid_;
  double self0_;
  double server0_;
};

}  // namespace bench
