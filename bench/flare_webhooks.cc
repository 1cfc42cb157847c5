// flare_webhooks: webhook deliveries per second from a running flared to a loopback receiver.
//
//   flare_webhooks --addr 127.0.0.1:PORT --key KEY --endpoints E --deliveries D
//                  [--cap-s 60] [--server-pid PID]
//
// The program runs its own receiver on 127.0.0.1 (answers 200 at once, 320 threads, a listen
// backlog of 1024, counts requests per endpoint path), registers E endpoints subscribed to
// job.completed, creates D / E worker jobs by batch (not timed) and completes them as 8 workers
// would (poll max_jobs 20, one ack each). Every completion fans out to E deliveries. It reports, as
// one JSON line: deliveries received, the delivery rate from the first to the last delivery,
// the completion (event) rate, event → delivery latency p50/p99 (the body's created_at to
// the receiver's clock, ms resolution) and the CPU flared used. flared must be started with
// --allow-private-targets (the receiver is on loopback); its other flags are its defaults.
// Every loop is bounded by its count and --cap-s. Traffic goes only to 127.0.0.1.

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"
#include "common/time_format.h"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr int kWorkers = 8;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "flare_webhooks: %s\n", why.c_str());
  std::exit(1);
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string key;
  int endpoints = 1;
  int deliveries = 20000;
  double cap_s = 60;
  int server_pid = 0;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--addr") {
      size_t colon = value.rfind(':');
      o.host = value.substr(0, colon);
      o.port = std::stoi(value.substr(colon + 1));
    } else if (flag == "--key") {
      o.key = value;
    } else if (flag == "--endpoints") {
      o.endpoints = std::stoi(value);
    } else if (flag == "--deliveries") {
      o.deliveries = std::stoi(value);
    } else if (flag == "--cap-s") {
      o.cap_s = std::stod(value);
    } else if (flag == "--server-pid") {
      o.server_pid = std::stoi(value);
    } else {
      Die("unknown flag " + flag);
    }
  }
  if (o.port <= 0 || o.key.empty() || o.host != "127.0.0.1")
    Die("--addr 127.0.0.1:PORT and --key are required");
  return o;
}

// The loopback receiver: counts deliveries and measures event → delivery latency.
class Receiver {
 public:
  Receiver() {
    // More threads than flared keeps calls in flight (256): no delivery waits for a thread.
    server_.new_task_queue = [] { return new httplib::ThreadPool(320); };
    server_.set_tcp_nodelay(true);
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      auto now = std::chrono::system_clock::now();
      json body = json::parse(request.body, nullptr, false);
      double latency = -1;
      if (body.is_object() && body.contains("created_at")) {
        if (auto at = flare::ParseTime(body["created_at"].get<std::string>())) {
          latency = std::chrono::duration<double, std::milli>(now - *at).count();
        }
      }
      {
        std::lock_guard lock(mutex_);
        if (count_ == 0) first_ = Clock::now();
        ++count_;
        last_ = Clock::now();
        if (latency >= 0) latencies_.push_back(latency);
      }
      response.set_content("{}", "application/json");
    });
    // cpp-httplib (Debian's compiled 0.11) listens with a backlog of 5. With 100 endpoints
    // flared opens up to 256 connections at once: the queue overflowed (nstat
    // TcpExtListenOverflows ~1,300 a run), SYNs were dropped and sent again seconds later,
    // and deliveries timed out, so the receiver measured itself, not flared. A second
    // listen() on the bound socket raises its backlog (real receivers: nginx has 511).
    server_.set_socket_options([this](int fd) {
      httplib::default_socket_options(fd);
      if (listen_fd_ < 0) listen_fd_ = fd;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (listen_fd_ < 0 || ::listen(listen_fd_, kListenBacklog) != 0)
      Die("cannot raise the receiver's listen backlog");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int64_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  json Figures() {
    std::lock_guard lock(mutex_);
    double seconds = std::chrono::duration<double>(last_ - first_).count();
    json out;
    out["received"] = count_;
    out["delivery_window_s"] = bench::R3(seconds);
    out["deliveries_per_s"] = seconds > 0 ? bench::R1(static_cast<double>(count_) / seconds) : 0.0;
    out["event_to_delivery"] = bench::Summary(latencies_);
    return out;
  }

 private:
  static constexpr int kListenBacklog = 1024;
  httplib::Server server_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  int64_t count_ = 0;
  Clock::time_point first_, last_;
  std::vector<double> latencies_;
};

json Call(httplib::Client& client, const std::string& method, const std::string& path,
          const json& body) {
  auto result = method == "GET"      ? client.Get(path)
                : method == "DELETE" ? client.Delete(path)
                                     : client.Post(path, body.dump(), "application/json");
  if (!result) Die(method + " " + path + ": no answer");
  if (result->status >= 300)
    Die(method + " " + path + ": " + std::to_string(result->status) + " " + result->body);
  return json::parse(result->body, nullptr, false);
}

// Deliveries that took more than one attempt, and their last errors (by count), read back
// through the API: on a healthy loopback receiver every delivery should take exactly one.
json RetriedDeliveries(httplib::Client& client, const std::vector<std::string>& webhooks) {
  int64_t retried = 0;
  std::map<std::string, int64_t> errors;
  for (const std::string& id : webhooks) {
    std::string cursor;
    for (int page = 0; page < 10000; ++page) {  // bounded: 100 a page
      std::string path = "/flare/v1/webhooks/" + id + "/deliveries?limit=100";
      if (!cursor.empty()) path += "&cursor=" + cursor;
      json body = Call(client, "GET", path, nullptr);
      for (const json& d : body["data"]) {
        if (d.value("attempts", 0) <= 1) continue;
        ++retried;
        ++errors[d["last_error"].is_string() ? d["last_error"].get<std::string>() : "none"];
      }
      if (!body.value("has_more", false)) break;
      cursor = body["next_cursor"].get<std::string>();
    }
  }
  return {{"retried", retried}, {"errors", errors}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  Receiver receiver;
  httplib::Client client(o.host, o.port);
  client.set_bearer_token_auth(o.key);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // else Nagle + delayed ACKs add 40 ms to every call
  client.set_read_timeout(60, 0);

  std::vector<std::string> webhooks;
  for (int i = 0; i < o.endpoints; ++i) {
    json created =
        Call(client, "POST", "/flare/v1/webhooks",
             {{"url", receiver.Url("/e" + std::to_string(i))}, {"events", {"job.completed"}}});
    webhooks.push_back(created["id"]);
  }
  int jobs = std::max(1, o.deliveries / o.endpoints);
  int64_t expected = static_cast<int64_t>(jobs) * o.endpoints;
  std::string queue = "bench-wh-" + std::to_string(::getpid());
  for (int made = 0; made < jobs;) {
    int n = std::min(1000, jobs - made);
    json items = json::array();
    for (int i = 0; i < n; ++i)
      items.push_back(
          {{"job_type", "bench.webhook"}, {"queue", queue}, {"payload", json::object()}});
    Call(client, "POST", "/flare/v1/jobs/batch", {{"jobs", items}});
    made += n;
  }

  bench::CpuMeter cpu(o.server_pid);
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(o.cap_s));
  auto started = Clock::now();
  // Several workers complete jobs at once, so the event rate is not one connection's.
  std::atomic<int> acked{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      httplib::Client api(o.host, o.port);
      api.set_bearer_token_auth(o.key);
      api.set_keep_alive(true);
      api.set_tcp_nodelay(true);
      std::string worker = "bench-wh-" + std::to_string(w);
      while (acked.load() < jobs && Clock::now() < deadline) {
        json claims = Call(api, "POST", "/flare/v1/workers/poll",
                           {{"worker_id", worker},
                            {"queues", {queue}},
                            {"max_jobs", 20},
                            {"wait_seconds", 0}})["jobs"];
        if (claims.empty()) break;
        for (const json& claim : claims) {
          Call(api, "POST", "/flare/v1/workers/ack",
               {{"job_id", claim["id"]},
                {"run_id", claim["run_id"]},
                {"lease_id", claim["lease_id"]},
                {"worker_id", worker},
                {"status", "succeeded"}});
          ++acked;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  double produce_s = std::chrono::duration<double>(Clock::now() - started).count();
  while (receiver.count() < expected && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // bounded by --cap-s

  json out = receiver.Figures();
  out["endpoints"] = o.endpoints;
  out["events"] = acked.load();
  out["expected"] = expected;
  out["events_per_s"] = bench::R1(acked.load() / produce_s);
  out["complete"] = receiver.count() >= expected;
  cpu.Put(out, static_cast<double>(std::max<int64_t>(1, receiver.count())));
  out["deliveries_retried"] = RetriedDeliveries(client, webhooks);
  std::printf("%s\n", out.dump().c_str());
  for (const std::string& id : webhooks)
    Call(client, "DELETE", "/flare/v1/webhooks/" + id, nullptr);
  return out["complete"] ? 0 : 1;
}
