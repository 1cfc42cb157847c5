// The supervisor half of WorkerRunner (see worker_runner.h): children's output, reaping,
// acks, heartbeats, cancellation, timeouts and the stop requests.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>
#include <utility>

#include "cli/child_process.h"
#include "cli/worker_runner.h"

namespace flare::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;  // WorkerRunner::Clock, for the helpers
constexpr size_t kTailBytes = 4096;
constexpr size_t kLongestLine = 64 * 1024;
constexpr auto kLongestAckBackoff = std::chrono::seconds(5);
constexpr auto kAckTryTimeout = std::chrono::seconds(10);

std::string TrimRight(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

int MillisUntil(SteadyClock::time_point when) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(when - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
}

}  // namespace

void WorkerRunner::Supervise() {
  auto next_heartbeat = Clock::now() + heartbeat_interval_;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      TakeHandedOver();
      if (poller_done_ && running_.empty()) {
        if (acks_.empty()) return;
        if (!ack_grace_until_) {
          ack_grace_until_ = Clock::now() + kStopAckGrace;
          Log("stopping: still delivering " + std::to_string(acks_.size()) + " ack(s) for up to " +
              std::to_string(kStopAckGrace.count()) + " s (interrupt again to give up)");
        }
      }
    }
    int timeout = MillisUntil(next_heartbeat);
    for (const auto& pending : acks_) timeout = std::min(timeout, MillisUntil(pending.next_try));
    if (ack_grace_until_) timeout = std::min(timeout, MillisUntil(*ack_grace_until_));
    std::vector<pollfd> fds = {{control_[0], POLLIN, 0}};
    for (const auto& job : running_) {
      for (int fd : {job->child.stdout_fd, job->child.stderr_fd}) {
        if (fd >= 0) fds.push_back({fd, POLLIN, 0});
      }
      if (job->child.stdout_fd < 0 && job->child.stderr_fd < 0) timeout = std::min(timeout, 20);
      if (job->deadline) timeout = std::min(timeout, MillisUntil(*job->deadline));
    }
    // Until the poller has seen the stop, keep aborting its long-poll.
    if (stop_requests_.load() > 0 && !poller_done_) timeout = std::min(timeout, 100);
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) return;
    HandleControl(stop_requests_.load());
    {
      // Jobs handed over while this thread waited in poll: watched from this pass on, so a
      // job that ended with another one is acked with it.
      std::lock_guard lock(mutex_);
      TakeHandedOver();
    }
    // A pass can see one child end while another is ending (its output not yet drained
    // when the first was reaped): look again until a look finds nobody new, so children
    // that end together are acked in one request.
    while (ReapEnded() > 0 && !running_.empty()) {
    }
    SendFinishedAcks();
    EnforceTimeouts();
    RetryAcks();
    if (Clock::now() >= next_heartbeat) {
      Heartbeat();
      next_heartbeat = Clock::now() + heartbeat_interval_;
    }
  }
}

void WorkerRunner::TakeHandedOver() {
  for (auto& job : started_) running_.push_back(std::move(job));
  started_.clear();
  for (auto& ack : handed_acks_) acks_.push_back(std::move(ack));
  handed_acks_.clear();
}

size_t WorkerRunner::ReapEnded() {
  for (auto& job : running_) {
    if (job->child.stdout_fd >= 0) DrainOutput(*job, job->child.stdout_fd, true);
    if (job->child.stderr_fd >= 0) DrainOutput(*job, job->child.stderr_fd, false);
  }
  size_t reaped = 0;
  for (auto it = running_.begin(); it != running_.end();) {
    auto& job = **it;
    std::optional<ChildExit> exit;
    if (job.child.stdout_fd < 0 && job.child.stderr_fd < 0) exit = TryReapChild(job.child.pid);
    if (!exit) {
      ++it;
      continue;
    }
    Finish(job, exit->signaled, exit->code);
    it = running_.erase(it);
    ++reaped;
  }
  return reaped;
}

void WorkerRunner::HandleControl(int stop_requests_before) {
  char bytes[64];
  ssize_t n = 0;
  int stops = stop_requests_before;
  while ((n = read(control_[0], bytes, sizeof bytes)) > 0) {
    stops += static_cast<int>(std::count(bytes, bytes + n, 'S'));
  }
  // Publish the stop before aborting the poll, so the poller sees why its request ended
  // and does not report the abort as a failure.
  if (stops != stop_requests_before) stop_requests_ = stops;
  if (stops > 0 && !poller_done_) poll_client_->Stop();
  if (stops == stop_requests_before) return;
  if (ack_grace_until_) ack_grace_until_ = Clock::now();  // only acks were left: give up now
  if (stop_requests_before == 0) {
    Log("stopping: no new jobs; waiting for " + std::to_string(running_.size()) +
        " running job(s) (interrupt again to kill them)");
    slots_changed_.notify_all();
  }
  if (stops >= 2) {
    for (auto& job : running_) {
      job->ending = Running::Ending::kKilled;
      SignalChild(job->child.pid, SIGKILL);
    }
  }
}

void WorkerRunner::DrainOutput(Running& job, int fd, bool is_stdout) {
  std::string& line = is_stdout ? job.stdout_line : job.stderr_line;
  char buffer[8192];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {
      close(fd);
      (is_stdout ? job.child.stdout_fd : job.child.stderr_fd) = -1;
      if (!line.empty()) line += '\n';  // flush the last partial line below
    } else {
      line.append(buffer, static_cast<size_t>(n));
      if (!is_stdout) {
        job.stderr_tail.append(buffer, static_cast<size_t>(n));
        if (job.stderr_tail.size() > kTailBytes) {
          job.stderr_tail.erase(0, job.stderr_tail.size() - kTailBytes);
        }
      }
    }
    size_t start = 0;
    for (size_t end = line.find('\n'); end != std::string::npos; end = line.find('\n', start)) {
      std::string text = line.substr(start, end - start);
      start = end + 1;
      if (is_stdout && text.rfind("::progress ", 0) == 0) {
        try {
          job.progress = std::clamp(std::stod(text.substr(11)), 0.0, 1.0);
        } catch (const std::exception&) {
        }
        continue;
      }
      io_.ErrLine("[" + job.job_id + "] " + text);
    }
    line.erase(0, start);
    if (line.size() > kLongestLine) {
      io_.ErrLine("[" + job.job_id + "] " + line);
      line.clear();
    }
    if (n <= 0) break;
  }
}

void WorkerRunner::Finish(Running& job, bool signaled, int code) {
  std::string tail = TrimRight(job.stderr_tail);
  auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.started);
  AckInfo ack = AckFor(job.job_id, job.run_id, job.lease_id);
  ack.succeeded = !signaled && code == 0;
  ack.duration_ms = duration.count();
  switch (job.ending) {
    case Running::Ending::kCancelled:
      break;
    case Running::Ending::kTimedOut:
      ack.succeeded = false;
      ack.error_type = "Timeout";
      ack.error_message = tail.empty() ? "killed: the job's timeout_seconds passed" : tail;
      break;
    case Running::Ending::kKilled:
      ack.succeeded = false;
      ack.error_type = "Signal";
      ack.error_message = tail.empty() ? "killed: the worker was interrupted twice" : tail;
      break;
    case Running::Ending::kNatural:
      if (!ack.succeeded) {
        ack.error_type = signaled ? "Signal" : "ExitCode";
        ack.error_message = DescribeExit({signaled, code});
        if (!tail.empty()) ack.error_message += ": " + tail;
      }
      break;
  }
  if (job.ending == Running::Ending::kCancelled) {
    Log("[" + job.job_id + "] cancelled by the server; child killed");
  } else {
    Log("[" + job.job_id + "] " + (ack.succeeded ? "succeeded" : "failed: " + ack.error_type) +
        " in " + std::to_string(duration.count()) + " ms");
    finished_acks_.push_back(PendingAck{ack, job.lease_until, Clock::now()});
    if (ack_next_ && stop_requests_.load() == 0) {
      ++slots_kept_for_next_;  // freed by SendFinishedAcks once its ack has been answered
      return;
    }
  }
  {
    std::lock_guard lock(mutex_);
    --active_;
  }
  slots_changed_.notify_all();
}

void WorkerRunner::SendFinishedAcks() {
  std::vector<PendingAck> batch = std::move(finished_acks_);
  finished_acks_.clear();
  int kept = std::exchange(slots_kept_for_next_, 0);
  // No new jobs once a stop was asked for (they would have to be run: claims are ours).
  DeliverAcks(batch, stop_requests_.load() == 0 ? kept : 0);
  if (kept == 0) return;
  // Freed whatever the answers said: the jobs they handed over took slots of their own.
  {
    std::lock_guard lock(mutex_);
    active_ -= kept;
  }
  slots_changed_.notify_all();
}

void WorkerRunner::DeliverAcks(std::vector<PendingAck>& batch, int next_jobs) {
  if (batch.size() == 1 && !TryAck(batch.front(), next_jobs))
    acks_.push_back(std::move(batch.front()));
  if (batch.size() <= 1) return;
  // Several children ended in this pass: one list ack (README "Acks in a list"), each item
  // answered alone.
  nlohmann::json list = nlohmann::json::array();
  for (const auto& pending : batch)
    list.push_back(AckBody(options_.identity.worker_id, pending.ack));
  nlohmann::json body = {{"worker_id", options_.identity.worker_id}, {"acks", list}};
  if (next_jobs > 0) body["next"] = NextJobsBody(options_.identity, next_jobs);
  HttpRequest request = PostJson(std::string(kWorkersPath) + "/ack", body);
  request.read_timeout = kAckTryTimeout;
  auto sent = Clock::now();
  auto response = control_client_->Send(request);
  const nlohmann::json* results = nullptr;
  nlohmann::json answer;
  if (response.ok() && response->status < 300) {
    answer = response->Json();
    StartNextJobs(answer, sent);  // claimed for us even if the results below look wrong
    if (answer.contains("results") && answer["results"].is_array() &&
        answer["results"].size() == batch.size()) {
      results = &answer["results"];
      Log("acked " + std::to_string(batch.size()) + " jobs in one request");
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingAck& pending = batch[i];
    bool settled = false;
    if (results == nullptr) {
      // No answer or an error for the whole list (e.g. a flared without list acks): each
      // ack on its own, as a single ack would go.
      settled = TryAck(pending);
    } else {
      ++pending.tries;
      const nlohmann::json& item = (*results)[i];
      int status = item.value("status", 500);
      std::string reason;
      if (status >= 300) {
        const auto& error = item.value("error", nlohmann::json::object());
        reason = error.value("message", std::string("HTTP ") + std::to_string(status)) + " (" +
                 error.value("code", std::string("?")) + ")";
      } else {
        NoteContact(sent);
      }
      settled = Settle(pending, status, reason);
    }
    if (!settled) acks_.push_back(std::move(pending));
  }
}

void WorkerRunner::StartNextJobs(const nlohmann::json& answer, Clock::time_point sent) {
  auto jobs = answer.find("jobs");
  if (jobs == answer.end() || !jobs->is_array()) return;
  for (const auto& claim : *jobs) StartJob(claim, sent);
}

void WorkerRunner::RetryAcks() {
  for (auto it = acks_.begin(); it != acks_.end();) {
    if (Clock::now() >= GiveUpAt(*it)) {
      Log("[" + it->ack.job_id + "] ack not delivered after " + std::to_string(it->tries) +
          " tries; giving up (the server runs the job again when its lease lapses)");
      it = acks_.erase(it);
    } else if (Clock::now() >= it->next_try && TryAck(*it)) {
      it = acks_.erase(it);
    } else {
      ++it;
    }
  }
}

WorkerRunner::Clock::time_point WorkerRunner::GiveUpAt(const PendingAck& pending) const {
  // A worker silent for 3 heartbeat intervals loses its runs (SPEC §6).
  auto silent_at =
      Clock::time_point(Clock::duration(last_contact_.load())) + 3 * heartbeat_interval_;
  auto at = std::min(pending.lease_until, silent_at);
  return ack_grace_until_ ? std::min(at, *ack_grace_until_) : at;
}

bool WorkerRunner::TryAck(PendingAck& pending, int next_jobs) {
  const AckInfo& ack = pending.ack;
  nlohmann::json body = AckBody(options_.identity.worker_id, ack);
  if (next_jobs > 0) body["next"] = NextJobsBody(options_.identity, next_jobs);
  HttpRequest request = PostJson(std::string(kWorkersPath) + "/ack", body);
  request.read_timeout = kAckTryTimeout;
  auto sent = Clock::now();
  auto response = control_client_->Send(request);
  ++pending.tries;
  if (response.ok() && response->status < 300) {
    NoteContact(sent);
    if (next_jobs > 0) StartNextJobs(response->Json(), sent);
    return Settle(pending, response->status, "");
  }
  std::string reason;
  if (response.ok()) {
    CliError error = ErrorFromResponse(*response);
    reason = std::string(error.what()) + " (" + error.code() + ")";
  } else {
    reason = response.error().message;
  }
  return Settle(pending, response.ok() ? response->status : 0, reason);
}

bool WorkerRunner::Settle(PendingAck& pending, int status, const std::string& reason) {
  const AckInfo& ack = pending.ack;
  if (status > 0 && status < 300) {
    if (pending.tries > 1) {
      Log("[" + ack.job_id + "] ack delivered (try " + std::to_string(pending.tries) + ")");
    }
    return true;
  }
  // Only a missing answer (0), a server error or 429 can change on a retry; 4xx is final.
  bool transient = status == 0 || status >= 500 || status == 429;
  if (!transient) {
    Log("[" + ack.job_id + "] ack refused: " + reason);
    return true;
  }
  // Retry with backoff, and once more just before the lease lapses rather than never.
  auto now = Clock::now();
  auto last_chance = GiveUpAt(pending) - std::chrono::milliseconds(500);
  pending.next_try = std::min(now + pending.backoff, last_chance);
  pending.backoff = std::min<std::chrono::milliseconds>(pending.backoff * 2, kLongestAckBackoff);
  if (pending.next_try <= now) {
    Log("[" + ack.job_id + "] ack failed: " + reason +
        "; giving up (the server runs the job again when its lease lapses)");
    return true;
  }
  Log("[" + ack.job_id + "] ack failed: " + reason + "; retrying in " +
      std::to_string(MillisUntil(pending.next_try)) + " ms");
  return false;
}

void WorkerRunner::Heartbeat() {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& job : running_) {
    if (job->ending == Running::Ending::kCancelled) continue;
    jobs.push_back(HeartbeatItem(job->job_id, job->run_id, job->lease_id,
                                 static_cast<int>(3 * heartbeat_interval_.count()), job->progress));
  }
  nlohmann::json body = {{"worker_id", options_.identity.worker_id}, {"jobs", jobs}};
  auto sent = Clock::now();
  auto response = control_client_->Send(PostJson(std::string(kWorkersPath) + "/heartbeat", body));
  if (!response.ok() || response->status >= 300) {
    Log(std::string("heartbeat failed: ") +
        (response.ok() ? ErrorFromResponse(*response).what() : response.error().message));
    return;
  }
  NoteContact(sent);
  nlohmann::json answer = response->Json();
  for (auto& job : running_) {
    // The heartbeat pushed every lease it named out to `sent + extend_seconds` at least.
    if (job->ending != Running::Ending::kCancelled) {
      job->lease_until = std::max(job->lease_until, sent + 3 * heartbeat_interval_);
    }
    if (!HeartbeatCancels(answer, job->job_id, job->run_id)) continue;
    job->ending = Running::Ending::kCancelled;
    SignalChild(job->child.pid, SIGKILL);
  }
}

void WorkerRunner::EnforceTimeouts() {
  auto now = Clock::now();
  for (auto& job : running_) {
    if (!job->deadline || now < *job->deadline || job->ending != Running::Ending::kNatural) {
      continue;
    }
    job->ending = Running::Ending::kTimedOut;
    SignalChild(job->child.pid, SIGKILL);
  }
}

}  // namespace flare::cli
