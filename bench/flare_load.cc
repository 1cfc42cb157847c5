// flare_load: load generator for flared's job and worker API (issue 2 benchmarks).
//
// It talks HTTP/1.1 over plain keep-alive TCP sockets with TCP_NODELAY, written by hand:
// write one request, read the head, read exactly Content-Length bytes of body. No request
// is pipelined; concurrency comes from several connections. The client costs a few µs of
// CPU per request (it reports its own CPU time, and flared's when given --server-pid, so
// a reader can check that the client was not the bottleneck on a 2-core machine).
//
// Modes (one JSON line of figures each, on stdout):
//   create   --n N --conns C        N single POST /flare/v1/jobs, each connection awaiting
//                                   its reply before the next; jobs/s, latency p50/p99
//   batch    --n N --conns C        POST /flare/v1/jobs/batch with --batch (1000) jobs each
//   process  --n N --workers W --max-jobs M --ack-conns A
//                                   pre-loads N jobs by batch (not timed), then W worker
//                                   threads poll (wait 0) → ack every job (A acks in flight
//                                   per worker, on A connections) until the backlog drains;
//                                   with --poll-early 1 a worker writes its next poll while
//                                   its acks are in flight, as `flarectl worker run` does
//                                   (a slot frees when its job ends, not when the ack lands);
//                                   with --ack-next 1 each ack (a list ack for several
//                                   claims) also takes the worker's next jobs ("next":
//                                   {max_jobs M}), as `flarectl worker run` does: one
//                                   request per round; a poll only when it comes back empty
//   latency  --rate R --seconds S   1 worker long-polls (wait 25 s, max_jobs 1) and acks;
//                                   producers create R jobs/s open-loop for S s, stamping
//                                   CLOCK_MONOTONIC just before the POST into the payload;
//                                   create → delivery p50/p90/p99/max ms
// Every loop is bounded by its count and by --cap-s seconds (default 120).
// Traffic goes only to 127.0.0.1.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"

namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC on Linux

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

Clock::time_point Deadline(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double Seconds(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

// ---- options -------------------------------------------------------------------------

struct Options {
  std::string mode;
  int port = 0;            // the first node's
  std::vector<int> ports;  // every node's (--addr A,B,C: nodes sharing one database)
  std::string key;
  long n = 20000;
  int conns = 1;
  int batch = 1000;
  int workers = 4;
  int max_jobs = 1;
  int ack_conns = 1;
  int ack_list = 0;    // 1: each poll's claims acked by one list ack (POST /workers/ack {acks})
  int poll_early = 0;  // 1: the next poll is written before the acks' answers are read
  int ack_next = 0;    // 1: the acks take the next jobs (README "Ack and take the next jobs")
  double rate = 200;
  double seconds = 10;
  int producers = 4;
  double cap_s = 120;
  int server_pid = 0;
  std::string queue = "bench";
};

// The node client `i` talks to: clients are spread round-robin over the nodes.
int PortFor(const Options& o, int i) { return o.ports[static_cast<size_t>(i) % o.ports.size()]; }

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "flare_load: %s\n", why.c_str());
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  if (argc < 2) {
    Die("usage: flare_load create|batch|process|latency --addr 127.0.0.1:PORT --key KEY [--n N] "
        "[--conns C] [--batch B] [--workers W] [--max-jobs M] [--ack-conns A] [--ack-list 0|1] "
        "[--poll-early 0|1] [--ack-next 0|1] [--rate R] "
        "[--seconds S] [--producers P] [--cap-s S] [--server-pid PID] [--queue Q]");
  }
  Options o;
  o.mode = argv[1];
  std::map<std::string, std::string> kv;
  for (int i = 2; i + 1 < argc; i += 2) kv[argv[i]] = argv[i + 1];
  auto num = [&](const char* name, auto& out) {
    auto it = kv.find(name);
    if (it == kv.end()) return;
    out = static_cast<std::remove_reference_t<decltype(out)>>(std::stod(it->second));
    kv.erase(it);
  };
  if (auto it = kv.find("--addr"); it != kv.end()) {
    std::stringstream list(it->second);
    for (std::string addr; std::getline(list, addr, ',');) {
      if (addr.rfind("127.0.0.1:", 0) != 0) Die("--addr must be 127.0.0.1:PORT (loopback only)");
      o.ports.push_back(std::stoi(addr.substr(10)));
    }
    if (!o.ports.empty()) o.port = o.ports.front();
    kv.erase(it);
  }
  if (auto it = kv.find("--key"); it != kv.end()) {
    o.key = it->second;
    kv.erase(it);
  }
  if (auto it = kv.find("--queue"); it != kv.end()) {
    o.queue = it->second;
    kv.erase(it);
  }
  num("--n", o.n);
  num("--conns", o.conns);
  num("--batch", o.batch);
  num("--workers", o.workers);
  num("--max-jobs", o.max_jobs);
  num("--ack-conns", o.ack_conns);
  num("--ack-list", o.ack_list);
  num("--poll-early", o.poll_early);
  num("--ack-next", o.ack_next);
  num("--rate", o.rate);
  num("--seconds", o.seconds);
  num("--producers", o.producers);
  num("--cap-s", o.cap_s);
  num("--server-pid", o.server_pid);
  if (!kv.empty()) Die("unknown option " + kv.begin()->first);
  if (o.port <= 0 || o.key.empty()) Die("--addr and --key are required");
  if (o.n < 1 || o.conns < 1 || o.batch < 1 || o.batch > 1000 || o.workers < 1 || o.max_jobs < 1 ||
      o.max_jobs > 100 || o.ack_conns < 1 || o.rate <= 0 || o.seconds <= 0 || o.producers < 1 ||
      o.cap_s <= 0) {
    Die("an option is out of range");
  }
  if (o.poll_early != 0 && o.ack_list == 0 && o.max_jobs > o.ack_conns)
    Die("--poll-early 1 needs --ack-list 1 or --ack-conns of at least --max-jobs: one request "
        "each");
  if (o.ack_next != 0 && o.poll_early != 0)
    Die("--ack-next 1 and --poll-early 1 are two ways to the next jobs: choose one");
  return o;
}

// ---- the lean HTTP/1.1 client ----------------------------------------------------------

struct Reply {
  int status = 0;
  std::string body;
};

class Conn {
 public:
  Conn(int port, std::string key) : port_(port), key_(std::move(key)) { Open(); }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void Send(const char* path, const std::string& body) {
    out_.clear();
    out_ += "POST ";
    out_ += path;
    out_ += " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ";
    out_ += key_;
    out_ += "\r\nContent-Type: application/json\r\nContent-Length: ";
    out_ += std::to_string(body.size());
    out_ += "\r\n\r\n";
    out_ += body;
    size_t done = 0;
    while (done < out_.size()) {
      ssize_t w = ::send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
      if (w <= 0) {
        if (w < 0 && errno == EINTR) continue;
        throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      }
      done += static_cast<size_t>(w);
    }
  }

  Reply Receive() {
    Reply reply;
    size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) Fill();
    // Status line: "HTTP/1.1 201 Created"
    if (in_.size() < 12 || in_.compare(0, 5, "HTTP/") != 0)
      throw std::runtime_error("bad status line");
    reply.status = std::atoi(in_.c_str() + 9);
    size_t length = 0;
    bool have_length = false;
    size_t line = in_.find("\r\n") + 2;
    while (line < head_end) {
      size_t eol = in_.find("\r\n", line);
      if (eol - line > 15 && strncasecmp(in_.c_str() + line, "content-length:", 15) == 0) {
        length = std::strtoul(in_.c_str() + line + 15, nullptr, 10);
        have_length = true;
      }
      line = eol + 2;
    }
    if (!have_length) throw std::runtime_error("reply without Content-Length");
    size_t total = head_end + 4 + length;
    while (in_.size() < total) Fill();
    reply.body.assign(in_, head_end + 4, length);
    in_.erase(0, total);
    return reply;
  }

  Reply Post(const char* path, const std::string& body) {
    Send(path, body);
    return Receive();
  }

 private:
  void Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{70, 0};  // longer than any long-poll (wait_seconds ≤ 60)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port_));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
  }

  void Fill() {
    char buf[16384];
    ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r == 0) throw std::runtime_error("connection closed by flared");
    if (r < 0) {
      if (errno == EINTR) return;
      throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
    }
    in_.append(buf, static_cast<size_t>(r));
  }

  int port_;
  std::string key_;
  int fd_ = -1;
  std::string out_;
  std::string in_;
};

// ---- payloads and figures -------------------------------------------------------------

// The peers' payload() from bench-peers/common.mjs, byte for byte (~190 bytes of JSON),
// plus an optional monotonic stamp for the latency mode.
std::string Payload(long i, int64_t stamp_ns = -1) {
  char to[32];
  std::snprintf(to, sizeof to, "user-%06ld@example.com", i);
  std::string p = "{\"to\":\"";
  p += to;
  p += "\",\"template\":\"welcome-email\",\"locale\":\"en-US\",\"vars\":{\"first_name\":\"Ada\","
       "\"plan\":\"pro\",\"trial_days\":14},\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
       "\"attempt_hint\":1";
  if (stamp_ns >= 0) p += ",\"t_ns\":" + std::to_string(stamp_ns);
  p += "}";
  return p;
}

std::string JobBody(const Options& o, long i, int64_t stamp_ns = -1) {
  return "{\"job_type\":\"email.send\",\"queue\":\"" + o.queue +
         "\",\"payload\":" + Payload(i, stamp_ns) + "}";
}

using bench::CpuMeter;
using bench::Percentile;
using bench::R1;
using bench::R3;
using bench::Summary;

std::atomic<long> g_errors{0};
std::string g_first_error;
std::mutex g_error_mutex;

void NoteError(const std::string& what) {
  if (g_errors.fetch_add(1) == 0) {
    std::lock_guard lock(g_error_mutex);
    g_first_error = what.substr(0, 300);
  }
}

void PutErrors(nlohmann::json& out) {
  out["errors"] = g_errors.load();
  if (g_errors.load() > 0) out["first_error"] = g_first_error;
}

// ---- batch loading (the batch mode, and the process mode's backlog) -------------------

// Sends jobs [from, to) in batches on one connection; returns the number created.
long LoadBatches(const Options& o, Conn& conn, long from, long to, Clock::time_point deadline) {
  long created = 0;
  std::string body;
  for (long i = from; i < to && Clock::now() < deadline;) {
    long end = std::min(to, i + o.batch);
    body = "{\"jobs\":[";
    for (long k = i; k < end; ++k) {
      if (k > i) body += ',';
      body += JobBody(o, k);
    }
    body += "]}";
    Reply r = conn.Post("/flare/v1/jobs/batch", body);
    if (r.status != 201) {
      NoteError("batch: HTTP " + std::to_string(r.status) + " " + r.body);
    } else {
      created += end - i;
    }
    i = end;
  }
  return created;
}

long LoadBacklog(const Options& o, long n, int conns, Clock::time_point deadline) {
  std::atomic<long> created{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&, c] {
      try {
        Conn conn(PortFor(o, c), o.key);
        long per = (n + conns - 1) / conns;
        long from = c * per, to = std::min(n, from + per);
        created += LoadBatches(o, conn, from, to, deadline);
      } catch (const std::exception& e) {
        NoteError(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  return created.load();
}

// ---- modes ------------------------------------------------------------------------------

nlohmann::json RunCreate(const Options& o) {
  auto deadline = Deadline(o.cap_s);
  std::vector<std::vector<double>> lat(static_cast<size_t>(o.conns));
  std::atomic<long> created{0};
  CpuMeter cpu(o.server_pid);
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.conns; ++c) {
    threads.emplace_back([&, c] {
      try {
        Conn conn(PortFor(o, c), o.key);
        auto& mine = lat[static_cast<size_t>(c)];
        mine.reserve(static_cast<size_t>(o.n / o.conns + 1));
        std::string body;
        for (long i = c; i < o.n && Clock::now() < deadline; i += o.conns) {
          body = JobBody(o, i);
          auto s = Clock::now();
          Reply r = conn.Post("/flare/v1/jobs", body);
          if (r.status != 201) {
            NoteError("create: HTTP " + std::to_string(r.status) + " " + r.body);
            continue;
          }
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
          ++created;
        }
      } catch (const std::exception& e) {
        NoteError(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(t0);
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  nlohmann::json out{{"mode", "create"},
                     {"conns", o.conns},
                     {"n", created.load()},
                     {"seconds", R3(secs)},
                     {"per_s", R1(static_cast<double>(created) / secs)},
                     {"capped", created < o.n}};
  auto s = Summary(all);
  for (const char* k : {"p50_ms", "p90_ms", "p99_ms", "mean_ms"}) out[k] = s[k];
  out["max_ms"] = s["max_ms"];
  cpu.Put(out, static_cast<double>(std::max(1L, created.load())));
  return out;
}

nlohmann::json RunBatch(const Options& o) {
  auto deadline = Deadline(o.cap_s);
  CpuMeter cpu(o.server_pid);
  auto t0 = Clock::now();
  long created = LoadBacklog(o, o.n, o.conns, deadline);
  double secs = Seconds(t0);
  nlohmann::json out{{"mode", "batch"},        {"conns", o.conns},
                     {"batch", o.batch},       {"n", created},
                     {"seconds", R3(secs)},    {"per_s", R1(static_cast<double>(created) / secs)},
                     {"capped", created < o.n}};
  cpu.Put(out, static_cast<double>(std::max(1L, created)));
  return out;
}

struct Claimed {
  std::string job_id, run_id, lease_id;
  int64_t stamp_ns = -1;
};

std::vector<Claimed> ParseClaims(const std::string& body) {
  std::vector<Claimed> out;
  auto j = nlohmann::json::parse(body);
  for (const auto& job : j.at("jobs")) {
    Claimed c{job.at("id").get<std::string>(), job.at("run_id").get<std::string>(),
              job.at("lease_id").get<std::string>()};
    const auto& p = job.at("payload");
    if (p.is_object() && p.contains("t_ns")) c.stamp_ns = p["t_ns"].get<int64_t>();
    out.push_back(std::move(c));
  }
  return out;
}

std::string PollBody(const Options& o, const std::string& worker, int max_jobs, int wait_s) {
  return "{\"worker_id\":\"" + worker + "\",\"queues\":[\"" + o.queue +
         "\"],\"max_jobs\":" + std::to_string(max_jobs) +
         ",\"wait_seconds\":" + std::to_string(wait_s) + "}";
}

std::string AckBody(const Claimed& c, const std::string& worker) {
  return "{\"job_id\":\"" + c.job_id + "\",\"run_id\":\"" + c.run_id + "\",\"lease_id\":\"" +
         c.lease_id + "\",\"worker_id\":\"" + worker + "\",\"status\":\"succeeded\"}";
}

// One list ack for `claims`: {worker_id, acks: [...]}.
std::string AckListBody(const std::vector<Claimed>& claims, const std::string& worker) {
  std::string body = "{\"worker_id\":\"" + worker + "\",\"acks\":[";
  for (size_t i = 0; i < claims.size(); ++i) body += (i ? "," : "") + AckBody(claims[i], worker);
  return body + "]}";
}

// How many items of a list ack's answer were taken (each refused one is an error).
long ItemsTaken(const std::string& answer_body) {
  nlohmann::json answer = nlohmann::json::parse(answer_body);  // kept alive for the loop
  long taken = 0;
  for (const auto& item : answer.at("results")) {
    if (item.value("status", 0) == 200) {
      ++taken;
    } else {
      NoteError("list ack item: " + item.dump());
    }
  }
  return taken;
}

// Acks `claims` (one ack, or one list ack for several) asking for the worker's next jobs in
// the same request; returns the answer, whose "jobs" are the next claims.
Reply AckTakingNext(Conn& conn, const Options& o, const std::vector<Claimed>& claims,
                    const std::string& worker, std::atomic<long>& acked) {
  std::string body = claims.size() == 1 ? AckBody(claims[0], worker) : AckListBody(claims, worker);
  body.pop_back();  // the closing brace: "next" joins the ack's own fields
  body += ",\"next\":{\"max_jobs\":" + std::to_string(o.max_jobs) + ",\"queues\":[\"" + o.queue +
          "\"]}}";
  Reply r = conn.Post("/flare/v1/workers/ack", body);
  if (r.status != 200) return r;
  if (claims.size() == 1) {
    ++acked;
    return r;
  }
  acked += ItemsTaken(r.body);
  return r;
}

// Writes the acks of `claims`, reading no answer: one list ack on the first connection, or
// one ack per connection (claims.size() <= conns.size()). Returns the requests written.
size_t SendAcks(std::vector<std::unique_ptr<Conn>>& conns, const std::vector<Claimed>& claims,
                const std::string& worker, bool as_list) {
  if (as_list && claims.size() > 1) {
    conns[0]->Send("/flare/v1/workers/ack", AckListBody(claims, worker));
    return 1;
  }
  for (size_t c = 0; c < claims.size(); ++c)
    conns[c]->Send("/flare/v1/workers/ack", AckBody(claims[c], worker));
  return claims.size();
}

// Reads the answers of what SendAcks wrote; returns the jobs acked.
long ReceiveAcks(std::vector<std::unique_ptr<Conn>>& conns, size_t requests, bool as_list,
                 size_t claims) {
  long acked = 0;
  if (as_list && claims > 1) {
    Reply r = conns[0]->Receive();
    if (r.status != 200) {
      NoteError("list ack: HTTP " + std::to_string(r.status) + " " + r.body);
      return 0;
    }
    return ItemsTaken(r.body);
  }
  for (size_t c = 0; c < requests; ++c) {
    Reply r = conns[c]->Receive();
    if (r.status == 200) {
      ++acked;
    } else {
      NoteError("ack: HTTP " + std::to_string(r.status) + " " + r.body);
    }
  }
  return acked;
}

// Acks `claims` with up to conns.size() requests in flight: one per connection, written
// before any reply is read, so flared handles them on separate threads at once.
long AckAll(std::vector<std::unique_ptr<Conn>>& conns, const std::vector<Claimed>& claims,
            const std::string& worker, bool as_list = false) {
  if (as_list && claims.size() > 1)
    return ReceiveAcks(conns, SendAcks(conns, claims, worker, true), true, claims.size());
  long acked = 0;
  for (size_t i = 0; i < claims.size(); i += conns.size()) {
    size_t k = std::min(conns.size(), claims.size() - i);
    std::vector<Claimed> slice(claims.begin() + static_cast<std::ptrdiff_t>(i),
                               claims.begin() + static_cast<std::ptrdiff_t>(i + k));
    acked += ReceiveAcks(conns, SendAcks(conns, slice, worker, false), false, k);
  }
  return acked;
}

nlohmann::json RunProcess(const Options& o) {
  auto deadline = Deadline(o.cap_s);
  auto l0 = Clock::now();
  long backlog = LoadBacklog(o, o.n, 2, deadline);
  double load_secs = Seconds(l0);
  std::atomic<long> acked{0}, polls{0}, claimed{0};
  CpuMeter cpu(o.server_pid);
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < o.workers; ++w) {
    threads.emplace_back([&, w] {
      std::string worker = "bench-w" + std::to_string(w);
      try {
        Conn poll(PortFor(o, w), o.key);
        std::vector<std::unique_ptr<Conn>> ack;
        for (int a = 0; a < o.ack_conns; ++a)
          ack.push_back(std::make_unique<Conn>(PortFor(o, w), o.key));
        std::string body = PollBody(o, worker, o.max_jobs, 0);
        // Bounded by the backlog (each round claims ≥ 1 or ends the loop) and by the deadline.
        Reply r = poll.Post("/flare/v1/workers/poll", body);
        ++polls;
        for (long round = 0; round <= backlog && Clock::now() < deadline; ++round) {
          if (r.status != 200) {
            NoteError("poll or ack: HTTP " + std::to_string(r.status) + " " + r.body);
            break;
          }
          auto claims = ParseClaims(r.body);
          if (claims.empty()) break;  // wait_seconds 0: nothing left to claim
          claimed += static_cast<long>(claims.size());
          if (o.ack_next != 0) {
            r = AckTakingNext(poll, o, claims, worker, acked);
            if (r.status == 200 && ParseClaims(r.body).empty()) {
              r = poll.Post("/flare/v1/workers/poll", body);  // none came with the ack
              ++polls;
            }
            continue;
          }
          if (o.poll_early == 0) {
            acked += AckAll(ack, claims, worker, o.ack_list != 0);
            r = poll.Post("/flare/v1/workers/poll", body);
            ++polls;
            continue;
          }
          size_t requests = SendAcks(ack, claims, worker, o.ack_list != 0);
          poll.Send("/flare/v1/workers/poll", body);
          ++polls;
          acked += ReceiveAcks(ack, requests, o.ack_list != 0, claims.size());
          r = poll.Receive();
        }
      } catch (const std::exception& e) {
        NoteError(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(t0);
  nlohmann::json out{{"mode", "process"},
                     {"workers", o.workers},
                     {"max_jobs", o.max_jobs},
                     {"ack_conns", o.ack_conns},
                     {"poll_early", o.poll_early},
                     {"ack_list", o.ack_list},
                     {"ack_next", o.ack_next},
                     {"backlog", backlog},
                     {"backlog_load_s", R3(load_secs)},
                     {"n", acked.load()},
                     {"polls", polls.load()},
                     {"seconds", R3(secs)},
                     {"per_s", R1(static_cast<double>(acked) / secs)},
                     {"capped", acked < backlog}};
  cpu.Put(out, static_cast<double>(std::max(1L, acked.load())));
  return out;
}

nlohmann::json RunLatency(const Options& o) {
  const long total = std::lround(o.rate * o.seconds);
  const double cap = std::min(o.cap_s, o.seconds * 3 + 30);
  auto deadline = Deadline(cap);
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(total));
  std::atomic<long> sent{0};
  std::atomic<bool> producers_done{false};
  std::vector<double> lateness_ms(static_cast<size_t>(total), 0.0);

  std::thread worker([&] {
    const std::string id = "bench-latency";
    try {
      Conn poll(o.port, o.key);
      std::vector<std::unique_ptr<Conn>> ack;
      ack.push_back(std::make_unique<Conn>(o.port, o.key));
      std::string body = PollBody(o, id, 1, 25);
      std::string short_body = PollBody(o, id, 1, 1);
      // Bounded: at most `total` deliveries plus one empty poll per second of the cap.
      for (long round = 0; round < total + static_cast<long>(cap) + 2 && Clock::now() < deadline;
           ++round) {
        if (static_cast<long>(lat.size()) >= total) break;
        // Once the producers are done, poll with a short wait so a lost job ends the run
        // within the cap rather than hanging on a 25 s poll.
        bool tail = producers_done.load();
        Reply r = poll.Post("/flare/v1/workers/poll", tail ? short_body : body);
        int64_t got = NowNs();
        if (r.status != 200) {
          NoteError("poll: HTTP " + std::to_string(r.status) + " " + r.body);
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        auto claims = ParseClaims(r.body);
        if (claims.empty() && tail && static_cast<long>(lat.size()) >= sent.load()) break;
        for (const auto& c : claims) {
          if (c.stamp_ns >= 0) lat.push_back(static_cast<double>(got - c.stamp_ns) / 1e6);
        }
        AckAll(ack, claims, id);
      }
    } catch (const std::exception& e) {
      NoteError(e.what());
    }
  });

  // Open loop: job i is due at t0 + i/rate. P producer connections take every P-th job, so
  // one slow create does not delay the next due one (unless P in a row are slow).
  auto p0 = Clock::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < o.producers; ++p) {
    producers.emplace_back([&, p] {
      try {
        Conn conn(o.port, o.key);
        for (long i = p; i < total && Clock::now() < deadline; i += o.producers) {
          auto due = p0 + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(static_cast<double>(i) / o.rate));
          std::this_thread::sleep_until(due);
          lateness_ms[static_cast<size_t>(i)] =
              std::chrono::duration<double, std::milli>(Clock::now() - due).count();
          std::string body = JobBody(o, i, NowNs());
          Reply r = conn.Post("/flare/v1/jobs", body);
          if (r.status != 201) {
            NoteError("create: HTTP " + std::to_string(r.status) + " " + r.body);
          } else {
            ++sent;
          }
        }
      } catch (const std::exception& e) {
        NoteError(e.what());
      }
    });
  }
  for (auto& t : producers) t.join();
  double produce_secs = Seconds(p0);
  producers_done = true;
  worker.join();
  std::sort(lateness_ms.begin(), lateness_ms.end());
  nlohmann::json out{{"mode", "latency"},
                     {"rate_per_s", o.rate},
                     {"seconds", o.seconds},
                     {"producers", o.producers},
                     {"sent", sent.load()},
                     {"produce_s", R3(produce_secs)},
                     {"send_lateness_p99_ms", R3(Percentile(lateness_ms, 99))},
                     {"timed_out", static_cast<long>(lat.size()) < sent.load()}};
  out.update(Summary(lat));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  nlohmann::json out;
  if (o.mode == "create") {
    out = RunCreate(o);
  } else if (o.mode == "batch") {
    out = RunBatch(o);
  } else if (o.mode == "process") {
    out = RunProcess(o);
  } else if (o.mode == "latency") {
    out = RunLatency(o);
  } else {
    Die("unknown mode " + o.mode);
  }
  PutErrors(out);
  std::printf("%s\n", out.dump().c_str());
  return g_errors.load() == 0 ? 0 : 1;
}
