// flare_retention: how long retention holds the writer (issue 6).
//
// It builds a database through flared's own store (schema, writer) holding --events events
// (default 1,000,000) over finished runs past their retention age, plus --kept-events
// events of recent runs that must stay, then prunes it with RetentionService::PruneSlice
// until nothing is left to prune, the way the scheduler does (without its pause between
// slices). Expired runs: 9 in 10 succeeded 30 days ago (7-day limit), 1 in 10 dead-lettered
// 100 days ago (90-day limit); half of them are the only run of a one-off job (the job goes
// with it), half belong to recurring jobs (only the run goes).
//
// Reported (one JSON line on stdout): build time; slices; the time each slice held the
// writer (PruneSlice from submit to commit: the slice is alone in its transaction, or
// shares it with a tick) as p50/p99/max, and the writer thread's CPU time per slice (the
// same, without the time the machine gave to other processes); the latency of a concurrent stream
// of tiny writes (what an API create waits for meanwhile); runs, jobs and events deleted; and a
// check that the kept rows are intact.
//
//   flare_retention [--dir D] [--events N] [--events-per-run K] [--kept-events N]
//                   [--durability normal|full] [--without-indexes] [--cap-s S]
//
// --without-indexes drops the retention indexes after building, to show the cost without
// them. Every loop is bounded by its count and by --cap-s seconds.

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"
#include "daemon/log.h"
#include "daemon/service/notifier.h"
#include "daemon/service/retention_service.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/writer.h"

namespace {

using flare::Ok;
using flare::Result;
using flare::Status;
using flare::daemon::Durability;
using flare::daemon::Tx;
using Steady = std::chrono::steady_clock;

struct Options {
  std::string dir;
  int64_t events = 1'000'000;
  int events_per_run = 5;
  int64_t kept_events = 200'000;
  Durability durability = Durability::kNormal;
  bool without_indexes = false;
  int cap_s = 600;
};

double MsSince(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir")
      o.dir = next();
    else if (a == "--events")
      o.events = std::stoll(next());
    else if (a == "--events-per-run")
      o.events_per_run = std::stoi(next());
    else if (a == "--kept-events")
      o.kept_events = std::stoll(next());
    else if (a == "--durability")
      o.durability = next() == "full" ? Durability::kFull : Durability::kNormal;
    else if (a == "--without-indexes")
      o.without_indexes = true;
    else if (a == "--cap-s")
      o.cap_s = std::stoi(next());
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      std::exit(2);
    }
  }
  if (o.events_per_run < 1) o.events_per_run = 1;
  return o;
}

// Inserts the rows of runs [first, last) with their jobs and events, in one transaction.
// Run i belongs to one-off job "job_o<i>" when i is even, else to recurring job
// "job_r<i % 1000>"; kept runs are recent and belong to recurring jobs.
void InsertRuns(flare::daemon::Writer& writer, int64_t first, int64_t last, int events_per_run,
                bool kept, int64_t now_ms) {
  constexpr int64_t kDay = 86'400'000;
  auto done = writer.Run<Ok>([&](Tx& tx) -> Status {
    auto& db = tx.conn().db();
    SQLite::Statement job(db,
                          "INSERT OR IGNORE INTO jobs (id, project_id, job_type, queue, payload, "
                          "spec, is_http, enabled, version, last_run_id, state, attempt, "
                          "max_attempts, created_at, updated_at) VALUES (?1, 'prj_bench', 't', "
                          "'default', '{}', ?2, 0, 1, 1, ?3, ?4, 1, 1, ?5, ?5)");
    SQLite::Statement run(db,
                          "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, "
                          "attempt, max_attempts, timeout_seconds, queue, job_type, priority, "
                          "is_http, created_at, completed_at) VALUES (?1, 'prj_bench', ?2, 1, "
                          "'API', ?3, 1, 1, 60, 'default', 't', 0, 0, ?4, ?4)");
    SQLite::Statement event(db,
                            "INSERT INTO events (id, project_id, job_id, run_id, type, at, "
                            "details) VALUES (?1, 'prj_bench', ?2, ?3, ?4, ?5, "
                            "'{\"attempt\":1}')");
    for (int64_t i = first; i < last; ++i) {
      bool one_off = !kept && i % 2 == 0;
      bool dead = !kept && i % 10 == 1;
      std::string run_id = (kept ? "run_k" : "run_x") + std::to_string(i);
      std::string job_id =
          one_off ? "job_o" + std::to_string(i) : "job_r" + std::to_string(i % 1000);
      std::string state = dead ? "dead_letter" : "succeeded";
      int64_t at = kept ? now_ms - 3'600'000 : now_ms - (dead ? 100 : 30) * kDay + i % kDay;
      job.reset();
      job.bind(1, job_id);
      job.bind(2, one_off ? "{}" : "{\"schedule\":\"@every 1h\"}");
      job.bind(3, run_id);
      job.bind(4, state);
      job.bind(5, static_cast<int64_t>(at));
      job.exec();
      run.reset();
      run.bind(1, run_id);
      run.bind(2, job_id);
      run.bind(3, state);
      run.bind(4, static_cast<int64_t>(at));
      run.exec();
      for (int e = 0; e < events_per_run; ++e) {
        event.reset();
        event.bind(1, "evt_" + run_id + "_" + std::to_string(e));
        event.bind(2, job_id);
        event.bind(3, run_id);
        event.bind(4, e == 0 ? "created" : e + 1 == events_per_run ? state : "attempt_started");
        event.bind(5, static_cast<int64_t>(at));
        event.exec();
      }
    }
    return Ok{};
  });
  if (!done.ok()) {
    std::fprintf(stderr, "building the database failed: %s\n", done.error().message.c_str());
    std::exit(1);
  }
}

// Runs `sql` as one writer operation; the benchmark cannot go on without it.
void Exec(flare::daemon::Writer& writer, const char* sql) {
  auto done = writer.Run<Ok>([&](Tx& tx) -> Status {
    tx.conn().Exec(sql);
    return Ok{};
  });
  if (!done.ok()) {
    std::fprintf(stderr, "%s: %s\n", sql, done.error().message.c_str());
    std::exit(1);
  }
}

// CPU time the writer thread has used so far (read on that thread, in a writer operation).
double WriterCpuMs(flare::daemon::Writer& writer) {
  return writer
      .Run<double>([](Tx&) -> Result<double> {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
      })
      .value();
}

int64_t Count(flare::daemon::Writer& writer, const char* sql) {
  return writer
      .Run<int64_t>(
          [&](Tx& tx) -> Result<int64_t> { return tx.conn().db().execAndGet(sql).getInt64(); })
      .value();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  flare::daemon::ConfigureLog(flare::daemon::LogFormat::kText, flare::daemon::LogLevel::kWarn);
  bool own_dir = o.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/flare_retention.XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("mkdtemp");
      return 1;
    }
    o.dir = tmpl;
  }
  std::filesystem::create_directories(o.dir);
  const std::string path = o.dir + "/flare.db";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  const auto cap = Steady::now() + std::chrono::seconds(o.cap_s);

  nlohmann::json out;
  {
    const auto& clock = flare::SystemClock::Instance();
    flare::daemon::Writer writer(path, o.durability, clock);
    flare::daemon::ReaderPool readers(path, o.durability);
    flare::daemon::NullNotifier notifier;
    flare::daemon::ServiceContext context{writer, readers, clock, notifier};
    flare::daemon::RetentionService retention(context, {});

    // Build: expired runs, then kept runs, 20,000 runs a transaction.
    const int64_t now_ms = flare::ToMillis(clock.Now());
    const int64_t expired_runs = o.events / o.events_per_run;
    const int64_t kept_runs = o.kept_events / o.events_per_run;
    auto build_start = Steady::now();
    constexpr int64_t kChunk = 20'000;
    for (int64_t i = 0; i < expired_runs && Steady::now() < cap; i += kChunk) {
      InsertRuns(writer, i, std::min(i + kChunk, expired_runs), o.events_per_run, false, now_ms);
    }
    for (int64_t i = 0; i < kept_runs && Steady::now() < cap; i += kChunk) {
      InsertRuns(writer, i, std::min(i + kChunk, kept_runs), o.events_per_run, true, now_ms);
    }
    if (o.without_indexes) {
      Exec(writer, "DROP INDEX IF EXISTS events_by_run");
      Exec(writer, "DROP INDEX IF EXISTS runs_finished");
    }
    const int64_t events_before = Count(writer, "SELECT COUNT(*) FROM events");
    out["build_s"] = bench::R1(MsSince(build_start) / 1000.0);
    out["events_before"] = events_before;
    out["expired_runs"] = expired_runs;
    out["kept_runs"] = kept_runs;

    // A stream of tiny writes beside the pruning: what an API create waits for meanwhile.
    std::atomic<bool> pruning{true};
    std::vector<double> write_ms;
    std::thread writes([&] {
      Exec(writer, "CREATE TABLE IF NOT EXISTS bench_ticks (v INTEGER)");
      while (pruning.load() && Steady::now() < cap) {
        auto start = Steady::now();
        Exec(writer, "INSERT INTO bench_ticks VALUES (1)");
        write_ms.push_back(MsSince(start));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });

    std::vector<double> slice_ms, slice_cpu_ms;
    double cpu_before = WriterCpuMs(writer);
    int64_t runs_deleted = 0, jobs_deleted = 0;
    auto prune_start = Steady::now();
    while (Steady::now() < cap) {
      auto start = Steady::now();
      auto outcome = retention.PruneSlice();
      slice_ms.push_back(MsSince(start));
      double cpu_after = WriterCpuMs(writer);
      slice_cpu_ms.push_back(cpu_after - cpu_before);
      cpu_before = cpu_after;
      if (!outcome.ok()) {
        std::fprintf(stderr, "prune failed: %s\n", outcome.error().message.c_str());
        break;
      }
      runs_deleted += outcome->runs_deleted;
      jobs_deleted += outcome->jobs_deleted;
      if (!outcome->more) break;
    }
    const double prune_s = MsSince(prune_start) / 1000.0;
    pruning = false;
    writes.join();

    const int64_t events_after = Count(writer, "SELECT COUNT(*) FROM events");
    const int64_t kept_events_after =
        Count(writer, "SELECT COUNT(*) FROM events WHERE run_id LIKE 'run_k%'");
    out["durability"] = o.durability == Durability::kFull ? "full" : "normal";
    out["indexes"] = !o.without_indexes;
    out["slices"] = slice_ms.size();
    out["slice_ms"] = bench::Summary(slice_ms);
    out["slice_writer_cpu_ms"] = bench::Summary(slice_cpu_ms);
    out["concurrent_write_ms"] = bench::Summary(write_ms);
    out["prune_s"] = bench::R1(prune_s);
    out["runs_deleted"] = runs_deleted;
    out["jobs_deleted"] = jobs_deleted;
    out["events_deleted"] = events_before - events_after;
    out["events_per_s"] =
        prune_s > 0 ? bench::R1(static_cast<double>(events_before - events_after) / prune_s) : 0.0;
    out["kept_events_intact"] = kept_events_after == kept_runs * o.events_per_run;
    out["finished"] = events_after == kept_events_after;
  }
  if (own_dir) std::filesystem::remove_all(o.dir);
  std::printf("%s\n", out.dump().c_str());
  return out["finished"].get<bool>() && out["kept_events_intact"].get<bool>() ? 0 : 1;
}
