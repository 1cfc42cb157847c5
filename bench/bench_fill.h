#pragma once
// Filling a bench flared with many stored jobs: POST /flare/v1/jobs/batch, 1000 jobs a
// request, from two clients (flare_export, flare_soak).

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bench/bench_flared.h"

namespace bench {

/// Creates jobs 0 … count-1, job n being make_job(n), until `deadline`. A refused batch ends
/// the program: every figure after it would be wrong.
inline void FillInBatches(const BenchFlared& flared, long count,
                          std::chrono::steady_clock::time_point deadline,
                          const std::function<nlohmann::json(long)>& make_job) {
  constexpr long kBatch = 1000;
  auto client_fill = [&](long first, long n) {
    httplib::Client client("127.0.0.1", flared.port());
    client.set_read_timeout(std::chrono::seconds(120));
    httplib::Headers auth = {{"Authorization", "Bearer " + flared.key()}};
    for (long done = 0; done < n && std::chrono::steady_clock::now() < deadline; done += kBatch) {
      nlohmann::json jobs = nlohmann::json::array();
      for (long i = done; i < std::min(done + kBatch, n); ++i) jobs.push_back(make_job(first + i));
      auto res = client.Post("/flare/v1/jobs/batch", auth, nlohmann::json{{"jobs", jobs}}.dump(),
                             "application/json");
      if (!res || res->status != 201) {
        std::fprintf(stderr, "batch failed: %d %s\n", res ? res->status : 0,
                     res ? res->body.substr(0, 200).c_str() : "");
        std::exit(1);
      }
    }
  };
  std::thread a(client_fill, 0, count / 2);
  std::thread b(client_fill, count / 2, count - count / 2);
  a.join();
  b.join();
}

}  // namespace bench
