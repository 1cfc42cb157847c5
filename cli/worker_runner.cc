#include "cli/worker_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "cli/child_process.h"

namespace flare::cli {
namespace {

std::string Str(const nlohmann::json& claim, const char* field) {
  auto it = claim.find(field);
  if (it == claim.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

WorkerRunner::WorkerRunner(WorkerOptions options, std::unique_ptr<ApiClient> poll_client,
                           std::unique_ptr<ApiClient> control_client, Io& io)
    : options_(std::move(options)),
      poll_client_(std::move(poll_client)),
      control_client_(std::move(control_client)),
      io_(io) {
  if (pipe2(control_, O_CLOEXEC) != 0) throw std::runtime_error("cannot create a pipe");
  fcntl(control_[0], F_SETFL, O_NONBLOCK);
  options_.concurrency = std::max(1, options_.concurrency);
}

WorkerRunner::~WorkerRunner() {
  for (auto& job : running_) SignalChild(job->child.pid, SIGKILL);
  close(control_[0]);
  close(control_[1]);
}

void WorkerRunner::RequestStop() { (void)!write(control_[1], "S", 1); }

void WorkerRunner::Wake() { (void)!write(control_[1], "W", 1); }

void WorkerRunner::NoteContact(Clock::time_point sent) {
  auto rep = sent.time_since_epoch().count();
  auto seen = last_contact_.load();
  while (seen < rep && !last_contact_.compare_exchange_weak(seen, rep)) {
  }
}

void WorkerRunner::Log(const std::string& line) {
  if (!options_.quiet) io_.ErrLine(line);
}

int WorkerRunner::Run() {
  auto sent = Clock::now();
  auto reply = control_client_->Call("POST", std::string(kWorkersPath) + "/register",
                                     RegisterBody(options_.identity));
  heartbeat_interval_ =
      std::chrono::seconds(std::max(1, reply.value("heartbeat_interval_seconds", 30)));
  auto ack_next = reply.find("ack_next");
  ack_next_ = ack_next != reply.end() && ack_next->is_boolean() && ack_next->get<bool>();
  NoteContact(sent);
  Log("worker " + options_.identity.worker_id + " registered; up to " +
      std::to_string(options_.concurrency) + " job(s) at once; Ctrl-C to stop");
  std::thread supervisor([this] { Supervise(); });
  PollLoop();
  {
    std::lock_guard lock(mutex_);
    poller_done_ = true;
  }
  Wake();
  supervisor.join();
  return fatal_exit_.load();
}

void WorkerRunner::PollLoop() {
  auto backoff = std::chrono::seconds(1);
  while (true) {
    {
      std::unique_lock lock(mutex_);
      slots_changed_.wait(
          lock, [&] { return stop_requests_.load() > 0 || active_ < options_.concurrency; });
      if (stop_requests_.load() > 0) return;
    }
    if (PollOnce()) {
      backoff = std::chrono::seconds(1);
      continue;
    }
    std::unique_lock lock(mutex_);
    slots_changed_.wait_for(lock, backoff, [&] { return stop_requests_.load() > 0; });
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
  }
}

bool WorkerRunner::PollOnce() {
  int free_slots = 0;
  {
    std::lock_guard lock(mutex_);
    free_slots = options_.concurrency - active_;
  }
  HttpRequest request;
  request.method = "POST";
  request.path = std::string(kWorkersPath) + "/poll";
  request.body = PollBody(options_.identity, free_slots, options_.wait_seconds).dump();
  request.read_timeout = std::chrono::seconds(options_.wait_seconds + 15);
  auto started = Clock::now();
  auto response = poll_client_->Send(request);
  if (!response.ok() && stop_requests_.load() > 0) return true;  // the stop aborted the poll
  if (!response.ok()) {
    Log("poll failed: " + response.error().message + "; retrying");
    return false;
  }
  if (response->status >= 300) {
    CliError error = ErrorFromResponse(*response);
    Log(std::string("poll failed: ") + error.what() + " (" + error.code() + ")");
    int code = error.exit_code();
    if (code == kExitUnauthorized || code == kExitNotFound) {
      fatal_exit_ = code;
      RequestStop();
    }
    return false;
  }
  NoteContact(started);
  // Claimed jobs are run even when a stop came meanwhile: they are ours now.
  auto jobs = response->Json().value("jobs", nlohmann::json::array());
  for (const auto& claim : jobs) StartJob(claim, started);
  // An empty answer long before wait_seconds means the server does not long-poll: pace it.
  return !jobs.empty() || Clock::now() - started >= std::chrono::seconds(options_.wait_seconds / 2);
}

void WorkerRunner::StartJob(const nlohmann::json& claim, Clock::time_point claimed) {
  auto job = std::make_unique<Running>();
  job->job_id = Str(claim, "id");
  job->run_id = Str(claim, "run_id");
  job->lease_id = Str(claim, "lease_id");
  // The server set the lease to timeout_seconds from its own now, which is after `claimed`.
  int timeout = claim.value("timeout_seconds", 0);
  job->lease_until =
      claimed + (timeout > 0 ? std::chrono::seconds(timeout) : 3 * heartbeat_interval_);
  std::vector<std::string> vars = {"FLARE_JOB_ID=" + job->job_id,
                                   "FLARE_RUN_ID=" + job->run_id,
                                   "FLARE_ATTEMPT=" + Str(claim, "attempt"),
                                   "FLARE_MAX_ATTEMPTS=" + Str(claim, "max_attempts"),
                                   "FLARE_JOB_TYPE=" + Str(claim, "job_type"),
                                   "FLARE_QUEUE=" + Str(claim, "queue"),
                                   "FLARE_LEASE_ID=" + job->lease_id};
  std::vector<std::string> drop = {"FLARE_API_KEY"};
  for (const auto& var : vars) drop.push_back(var.substr(0, var.find('=')));
  std::string payload = claim.contains("payload") ? claim["payload"].dump() : "null";
  auto child = SpawnChild(options_.command, ChildEnvironment(drop, vars), payload);
  if (!child.ok()) {
    Log("[" + job->job_id + "] cannot start: " + child.error().message);
    AckInfo ack = AckFor(job->job_id, job->run_id, job->lease_id);
    ack.succeeded = false;
    ack.error_type = "SpawnError";
    ack.error_message = child.error().message;
    {
      std::lock_guard lock(mutex_);
      handed_acks_.push_back(PendingAck{ack, job->lease_until, Clock::now()});
    }
    Wake();
    return;
  }
  job->child = *child;
  job->started = Clock::now();
  if (timeout > 0) job->deadline = job->started + std::chrono::seconds(timeout);
  std::string started_line =
      "[" + job->job_id + "] started (attempt " + Str(claim, "attempt") + ")";
  {
    std::lock_guard lock(mutex_);
    started_.push_back(std::move(job));
    ++active_;
  }
  Wake();
  // Said once the supervisor has the job, so the line means it is watched.
  Log(started_line);
}

}  // namespace flare::cli
