// flare_sched: flared's scheduler and HTTP executor benchmarks (issue 3).
//
// It runs a loopback HTTP sink of its own (one epoll thread, keep-alive, 200 + an 11-byte
// JSON body) that stamps every request with CLOCK_REALTIME, the clock flared stamps runs
// with, and creates jobs whose http target is that sink (flared needs
// --allow-private-targets). The request path carries the job's index: /c/<i>, /e/<i>, /x/<i>.
//
// Modes (one JSON line of figures each, on stdout):
//   cron   --n N          N recurring jobs "* * * * *" (batch create, 1000 a batch) all due at
//                         the next whole minute (if it is too near, the one after). Lateness
//                         of each fire against that minute, three ways:
//                           fire  = run created_at − scheduled_for (the timer made the run)
//                           start = run started_at − scheduled_for (an executor thread took it)
//                           sink  = arrival at the sink − scheduled_for (µs clock)
//                         and the burst's rate (N / (last arrival − first arrival)).
//   every  --n N --seconds S   N "@every 1s" jobs for S s; the same three latenesses over
//                         every fire scheduled in the window.
//   exec   --n N          N one-off HTTP jobs created (batch) for one run_at instant a few
//                         seconds ahead, so creating them does not overlap running them;
//                         runs/s = N / (first started_at → last completed_at), and at the
//                         sink N / (first → last arrival). Then, in the same pass, the
//                         ceiling of the same sink: wrk -t2 -c<wrk-conns> -d<wrk-s>s.
// Run times in flared's API are whole milliseconds (truncated), so the API latenesses
// read up to 1 ms low; the sink's are in µs.
// Every loop is bounded by its count and by --cap-s seconds. Traffic goes only to 127.0.0.1.

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_common.h"

namespace {

using bench::R1;
using bench::R3;
using bench::Summary;
using Steady = std::chrono::steady_clock;

int64_t RealNowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void SleepUntilRealNs(int64_t t_ns) {
  timespec ts{static_cast<time_t>(t_ns / 1000000000LL), static_cast<long>(t_ns % 1000000000LL)};
  while (::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "flare_sched: %s\n", why.c_str());
  std::exit(2);
}

struct Options {
  std::string mode;
  int port = 0;
  std::string key;
  long n = 10000;
  double seconds = 20;
  double cap_s = 150;
  int server_pid = 0;
  double wrk_s = 5;
  int wrk_conns = 64;
};

Options ParseOptions(int argc, char** argv) {
  if (argc < 2) {
    Die("usage: flare_sched cron|every|exec --addr 127.0.0.1:PORT --key KEY [--n N] [--seconds S] "
        "[--cap-s S] [--server-pid PID] [--wrk-s S] [--wrk-conns C]");
  }
  Options o;
  o.mode = argv[1];
  std::map<std::string, std::string> kv;
  for (int i = 2; i + 1 < argc; i += 2) kv[argv[i]] = argv[i + 1];
  auto take = [&](const char* name) -> std::optional<std::string> {
    auto it = kv.find(name);
    if (it == kv.end()) return std::nullopt;
    std::string v = it->second;
    kv.erase(it);
    return v;
  };
  if (auto addr = take("--addr")) {
    if (addr->rfind("127.0.0.1:", 0) != 0) Die("--addr must be 127.0.0.1:PORT (loopback only)");
    o.port = std::stoi(addr->substr(10));
  }
  if (auto key = take("--key")) o.key = *key;
  if (auto v = take("--n")) o.n = std::stol(*v);
  if (auto v = take("--seconds")) o.seconds = std::stod(*v);
  if (auto v = take("--cap-s")) o.cap_s = std::stod(*v);
  if (auto v = take("--server-pid")) o.server_pid = std::stoi(*v);
  if (auto v = take("--wrk-s")) o.wrk_s = std::stod(*v);
  if (auto v = take("--wrk-conns")) o.wrk_conns = std::stoi(*v);
  if (!kv.empty()) Die("unknown option " + kv.begin()->first);
  if (o.port <= 0 || o.key.empty()) Die("--addr and --key are required");
  if (o.n < 1 || o.n > 200000 || o.seconds <= 0 || o.seconds > 600 || o.cap_s <= 0 || o.wrk_s < 0 ||
      o.wrk_s > 60 || o.wrk_conns < 1 || o.wrk_conns > 1024) {
    Die("an option is out of range");
  }
  return o;
}

// ---- the sink -------------------------------------------------------------------------

struct Arrival {
  int64_t real_ns;
  int32_t index;  // from the path /<letter>/<index>; -1 when none
  char kind;      // the path's letter
};

class Sink {
 public:
  explicit Sink(size_t capacity) : arrivals_(capacity) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) Die("sink: socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("sink: bind");
    if (::listen(listen_fd_, 4096) != 0) Die("sink: listen");
    socklen_t len = sizeof sa;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    Watch(listen_fd_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Sink() {
    stop_ = true;
    thread_.join();
    for (auto& [fd, buf] : conns_) ::close(fd);
    ::close(epoll_fd_);
    ::close(listen_fd_);
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  int port() const { return port_; }
  long requests() const { return requests_.load(std::memory_order_acquire); }
  /// The recorded arrivals so far (at most the capacity).
  std::vector<Arrival> Arrivals() const {
    size_t n = std::min(static_cast<size_t>(requests()), arrivals_.size());
    return {arrivals_.begin(), arrivals_.begin() + static_cast<long>(n)};
  }
  long connections_accepted() const { return accepted_.load(); }

 private:
  void Watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void Loop() {
    epoll_event events[256];
    while (!stop_) {
      int k = ::epoll_wait(epoll_fd_, events, 256, 50);
      for (int e = 0; e < k; ++e) {
        int fd = events[e].data.fd;
        if (fd == listen_fd_) {
          Accept();
        } else {
          Serve(fd);
        }
      }
    }
  }

  void Accept() {
    for (int i = 0; i < 1024; ++i) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conns_[fd];
      ++accepted_;
      Watch(fd);
    }
  }

  void Close(int fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
  }

  void Serve(int fd) {
    char chunk[16384];
    ssize_t r = ::recv(fd, chunk, sizeof chunk, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return Close(fd);
    if (r < 0) return;
    int64_t now = RealNowNs();
    std::string& in = conns_[fd];
    in.append(chunk, static_cast<size_t>(r));
    out_.clear();
    // Every complete request in the buffer (no client here pipelines, but be correct).
    for (int guard = 0; guard < 1024; ++guard) {
      size_t head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) break;
      size_t length = 0;
      for (size_t line = in.find("\r\n") + 2; line < head_end;) {
        size_t eol = in.find("\r\n", line);
        if (eol - line > 15 && strncasecmp(in.c_str() + line, "content-length:", 15) == 0) {
          length = std::strtoul(in.c_str() + line + 15, nullptr, 10);
        }
        line = eol + 2;
      }
      if (in.size() < head_end + 4 + length) break;
      Record(in, now);
      in.erase(0, head_end + 4 + length);
      out_ +=
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
          "11\r\n\r\n{\"ok\":true}";
    }
    if (!out_.empty() && !SendAll(fd)) Close(fd);
  }

  // "POST /c/123 HTTP/1.1" → kind 'c', index 123.
  void Record(const std::string& in, int64_t now) {
    Arrival a{now, -1, 0};
    size_t sp = in.find(' ');
    if (sp != std::string::npos && sp + 3 < in.size() && in[sp + 1] == '/' && in[sp + 3] == '/') {
      a.kind = in[sp + 2];
      a.index = static_cast<int32_t>(std::strtol(in.c_str() + sp + 4, nullptr, 10));
    }
    long k = requests_.load(std::memory_order_relaxed);
    if (static_cast<size_t>(k) < arrivals_.size()) arrivals_[static_cast<size_t>(k)] = a;
    requests_.store(k + 1, std::memory_order_release);
  }

  bool SendAll(int fd) {
    size_t done = 0;
    for (int tries = 0; done < out_.size() && tries < 100; ++tries) {
      ssize_t w = ::send(fd, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
      if (w > 0) {
        done += static_cast<size_t>(w);
      } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
      } else {
        return false;
      }
    }
    return done == out_.size();
  }

  std::vector<Arrival> arrivals_;
  std::atomic<long> requests_{0};
  std::atomic<long> accepted_{0};
  std::atomic<bool> stop_{false};
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int port_ = 0;
  std::unordered_map<int, std::string> conns_;
  std::string out_;
  std::thread thread_;
};

// ---- flared's API -----------------------------------------------------------------------

// "2026-11-22T20:46:18.123Z" → ms since the epoch; -1 for null.
int64_t ParseMs(const nlohmann::json& v) {
  if (!v.is_string()) return -1;
  const std::string s = v.get<std::string>();
  tm t{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec, &ms) < 6) {
    return -1;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&t)) * 1000 + ms;
}

std::string FormatMs(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t{};
  ::gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

class Api {
 public:
  explicit Api(const Options& o) : client_("127.0.0.1", o.port) {
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
    client_.set_read_timeout(60, 0);
    client_.set_default_headers({{"Authorization", "Bearer " + o.key}});
  }

  /// Creates the jobs in batches of 1000; returns the batch items (id, created_at, …).
  std::vector<nlohmann::json> CreateAll(const std::vector<std::string>& bodies,
                                        Steady::time_point deadline) {
    std::vector<nlohmann::json> items;
    for (size_t i = 0; i < bodies.size() && Steady::now() < deadline; i += 1000) {
      std::string body = "{\"jobs\":[";
      for (size_t k = i; k < std::min(bodies.size(), i + 1000); ++k) {
        if (k > i) body += ',';
        body += bodies[k];
      }
      body += "]}";
      auto r = client_.Post("/flare/v1/jobs/batch", body, "application/json");
      if (!r || r->status != 201) {
        Die("batch create failed: " + (r ? std::to_string(r->status) + " " + r->body.substr(0, 300)
                                         : httplib::to_string(r.error())));
      }
      nlohmann::json reply = nlohmann::json::parse(r->body);
      for (auto& item : reply.at("data")) items.push_back(std::move(item));
    }
    return items;
  }

  /// Every run, newest first, pages of 100 (bounded by max_pages and the deadline).
  std::vector<nlohmann::json> AllRuns(long max_pages, Steady::time_point deadline) {
    std::vector<nlohmann::json> runs;
    std::string cursor;
    for (long page = 0; page < max_pages && Steady::now() < deadline; ++page) {
      std::string path = "/flare/v1/runs?limit=100";
      if (!cursor.empty()) path += "&cursor=" + cursor;
      auto r = client_.Get(path);
      if (!r || r->status != 200) Die("listing runs failed");
      auto j = nlohmann::json::parse(r->body);
      for (auto& run : j.at("data")) runs.push_back(std::move(run));
      if (!j.value("has_more", false)) break;
      cursor = j.at("next_cursor").get<std::string>();
    }
    return runs;
  }

 private:
  httplib::Client client_;
};

std::string HttpJob(const std::string& schedule, int sink_port, char kind, long i) {
  std::string j = "{";
  if (!schedule.empty()) j += "\"schedule\":\"" + schedule + "\",\"timezone\":\"UTC\",";
  j += "\"http\":{\"url\":\"http://127.0.0.1:" + std::to_string(sink_port) + "/" + kind + "/" +
       std::to_string(i) + "\",\"method\":\"POST\"}}";
  return j;
}

// Waits until the sink has `n` requests, or the deadline; true when it has.
bool AwaitSink(const Sink& sink, long n, Steady::time_point deadline) {
  while (sink.requests() < n && Steady::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return sink.requests() >= n;
}

// The three latenesses of runs, given their due time (ms since the epoch) by run.
struct Lateness {
  std::vector<double> fire, start, sink;
  void Put(nlohmann::json& out) const {
    out["fire_lateness"] = Summary(fire);
    out["start_lateness"] = Summary(start);
    out["sink_lateness"] = Summary(sink);
  }
};

void AddRun(const nlohmann::json& run, Lateness& l) {
  int64_t due = ParseMs(run.at("scheduled_for"));
  int64_t created = ParseMs(run.at("created_at"));
  int64_t started = ParseMs(run.at("started_at"));
  if (due < 0) return;
  if (created >= 0) l.fire.push_back(static_cast<double>(created - due));
  if (started >= 0) l.start.push_back(static_cast<double>(started - due));
}

// ---- modes ------------------------------------------------------------------------------

nlohmann::json RunCron(const Options& o) {
  auto deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                      std::chrono::duration<double>(o.cap_s));
  Sink sink(static_cast<size_t>(o.n) * 2);
  Api api(o);
  const int64_t minute = 60LL * 1000000000LL;
  // Creating N jobs takes well under N/5000 s; leave that plus 3 s before the boundary.
  int64_t lead = (3 + o.n / 5000) * 1000000000LL;
  int64_t boundary = (RealNowNs() / minute + 1) * minute;
  if (boundary - RealNowNs() < lead) boundary += minute;
  std::vector<std::string> bodies;
  for (long i = 0; i < o.n; ++i) bodies.push_back(HttpJob("* * * * *", sink.port(), 'c', i));
  auto c0 = Steady::now();
  auto items = api.CreateAll(bodies, deadline);
  double create_s = std::chrono::duration<double>(Steady::now() - c0).count();
  bool created_in_time = RealNowNs() < boundary;
  double wait_s = static_cast<double>(boundary - RealNowNs()) / 1e9;
  bench::CpuMeter cpu(o.server_pid);
  SleepUntilRealNs(boundary);
  bool all = AwaitSink(sink, static_cast<long>(items.size()), deadline);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the last runs commit
  nlohmann::json out{{"mode", "cron"},
                     {"n", items.size()},
                     {"create_s", R3(create_s)},
                     {"created_before_boundary", created_in_time},
                     {"wait_for_boundary_s", R3(wait_s)},
                     {"sink_requests", sink.requests()},
                     {"sink_connections", sink.connections_accepted()},
                     {"timed_out", !all}};
  cpu.Put(out, static_cast<double>(std::max<size_t>(1, items.size())));

  Lateness l;
  int64_t due_ms = boundary / 1000000;
  for (const auto& run : api.AllRuns(o.n / 100 + 50, deadline + std::chrono::seconds(30))) {
    if (ParseMs(run.at("scheduled_for")) == due_ms) AddRun(run, l);
  }
  int64_t first = INT64_MAX, last = 0;
  for (const Arrival& a : sink.Arrivals()) {
    if (a.kind != 'c') continue;
    l.sink.push_back(static_cast<double>(a.real_ns - boundary) / 1e6);
    first = std::min(first, a.real_ns);
    last = std::max(last, a.real_ns);
  }
  l.Put(out);
  if (last > first) {
    out["burst_s"] = R3(static_cast<double>(last - first) / 1e9);
    out["burst_runs_per_s"] =
        R1(static_cast<double>(l.sink.size()) / (static_cast<double>(last - first) / 1e9));
  }
  return out;
}

nlohmann::json RunEvery(const Options& o) {
  auto deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                      std::chrono::duration<double>(o.cap_s));
  long expected = std::lround(static_cast<double>(o.n) * (o.seconds + 2));
  Sink sink(static_cast<size_t>(expected) * 2);
  Api api(o);
  std::vector<std::string> bodies;
  for (long i = 0; i < o.n; ++i) bodies.push_back(HttpJob("@every 1s", sink.port(), 'e', i));
  auto items = api.CreateAll(bodies, deadline);
  std::vector<int64_t> anchor;  // created_at of job i: its fires are anchor + k s
  for (const auto& item : items) anchor.push_back(ParseMs(item.at("created_at")));
  int64_t t0 = RealNowNs();
  bench::CpuMeter cpu(o.server_pid);
  std::this_thread::sleep_for(std::chrono::duration<double>(std::min(o.seconds, o.cap_s)));
  int64_t t_end = RealNowNs();
  // Window: fires due from t0 + 1 s to t_end − 1 s, all surely started (or late) by now.
  int64_t lo_ms = t0 / 1000000 + 1000, hi_ms = t_end / 1000000 - 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  nlohmann::json out{{"mode", "every"},
                     {"n", items.size()},
                     {"seconds", o.seconds},
                     {"sink_connections", sink.connections_accepted()}};
  cpu.Put(out, static_cast<double>(std::max<long>(1, sink.requests())));
  Lateness l;
  long not_started = 0;
  long pages = expected / 100 + 100;
  for (const auto& run : api.AllRuns(pages, deadline + std::chrono::seconds(60))) {
    int64_t due = ParseMs(run.at("scheduled_for"));
    if (due < lo_ms || due > hi_ms) continue;
    if (run.at("started_at").is_null()) ++not_started;
    AddRun(run, l);
  }
  for (const Arrival& a : sink.Arrivals()) {
    if (a.kind != 'e' || a.index < 0 || static_cast<size_t>(a.index) >= anchor.size()) continue;
    int64_t since = a.real_ns - anchor[static_cast<size_t>(a.index)] * 1000000;
    int64_t due_ns =
        anchor[static_cast<size_t>(a.index)] * 1000000 + (since / 1000000000) * 1000000000;
    if (due_ns / 1000000 < lo_ms || due_ns / 1000000 > hi_ms) continue;
    l.sink.push_back(static_cast<double>(a.real_ns - due_ns) / 1e6);  // assumes lateness < 1 s
  }
  out["fires_in_window"] = l.fire.size();
  out["not_started"] = not_started;
  l.Put(out);
  return out;
}

// wrk against the sink: requests/s, or -1 when wrk is missing or says nothing.
nlohmann::json Wrk(const Options& o, int port) {
  if (o.wrk_s <= 0) return nullptr;
  std::string cmd = "timeout " + std::to_string(static_cast<int>(o.wrk_s) + 30) + " wrk -t2 -c" +
                    std::to_string(o.wrk_conns) + " -d" +
                    std::to_string(static_cast<int>(o.wrk_s)) +
                    "s http://127.0.0.1:" + std::to_string(port) + "/ 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return nullptr;
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) text += buf;
  ::pclose(p);
  size_t at = text.find("Requests/sec:");
  if (at == std::string::npos) return {{"error", text.substr(0, 200)}};
  return {
      {"conns", o.wrk_conns}, {"seconds", o.wrk_s}, {"rps", R1(std::stod(text.substr(at + 13)))}};
}

nlohmann::json RunExec(const Options& o) {
  auto deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                      std::chrono::duration<double>(o.cap_s));
  Sink sink(static_cast<size_t>(o.n));  // wrk's requests later are counted, not recorded
  Api api(o);
  // One run_at for all, far enough ahead that the creates are done (≤ N/5000 s + 2 s).
  int64_t run_at_ms = (RealNowNs() / 1000000000 + 3 + o.n / 5000) * 1000;
  std::vector<std::string> bodies;
  for (long i = 0; i < o.n; ++i)
    bodies.push_back(HttpJob(FormatMs(run_at_ms), sink.port(), 'x', i));
  auto items = api.CreateAll(bodies, deadline);
  bool created_in_time = RealNowNs() / 1000000 < run_at_ms;
  bench::CpuMeter cpu(o.server_pid);
  bool all = AwaitSink(sink, static_cast<long>(items.size()), deadline);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  nlohmann::json out{{"mode", "exec"},
                     {"n", items.size()},
                     {"created_before_run_at", created_in_time},
                     {"sink_requests", sink.requests()},
                     {"sink_connections", sink.connections_accepted()},
                     {"timed_out", !all}};
  cpu.Put(out, static_cast<double>(std::max<size_t>(1, items.size())));
  int64_t first_fire = INT64_MAX, last_fire = 0, first_start = INT64_MAX, last_done = 0;
  long succeeded = 0;
  Lateness l;
  for (const auto& run : api.AllRuns(o.n / 100 + 50, deadline + std::chrono::seconds(60))) {
    int64_t created = ParseMs(run.at("created_at")), started = ParseMs(run.at("started_at")),
            done = ParseMs(run.at("completed_at"));
    if (run.value("state", "") == "succeeded") ++succeeded;
    first_fire = std::min(first_fire, created);
    last_fire = std::max(last_fire, created);
    if (started >= 0) first_start = std::min(first_start, started);
    last_done = std::max(last_done, done);
    AddRun(run, l);
  }
  out["succeeded"] = succeeded;
  if (last_done > first_start) {
    double secs = static_cast<double>(last_done - first_start) / 1e3;
    out["exec_s"] = R3(secs);
    out["runs_per_s"] = R1(static_cast<double>(succeeded) / secs);
    out["fire_spread_s"] = R3(static_cast<double>(last_fire - first_fire) / 1e3);
  }
  int64_t first = INT64_MAX, last = 0;
  for (const Arrival& a : sink.Arrivals()) {
    first = std::min(first, a.real_ns);
    last = std::max(last, a.real_ns);
  }
  if (last > first)
    out["sink_runs_per_s"] =
        R1(static_cast<double>(o.n) / (static_cast<double>(last - first) / 1e9));
  // A one-off's run exists from its creation (state scheduled), so only the start is timed.
  out["start_lateness"] = Summary(l.start);
  out["wrk"] = Wrk(o, sink.port());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  const std::map<std::string, nlohmann::json (*)(const Options&)> modes{
      {"cron", RunCron}, {"every", RunEvery}, {"exec", RunExec}};
  auto mode = modes.find(o.mode);
  if (mode == modes.end()) Die("unknown mode " + o.mode);
  std::printf("%s\n", mode->second(o).dump().c_str());
  return 0;
}
