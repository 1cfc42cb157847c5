#include "daemon/daemon.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "common/clock.h"
#include "common/egress.h"
#include "common/ids.h"
#include "common/time_format.h"
#include "daemon/api/auth.h"
#include "daemon/api/event_stream_response.h"
#include "daemon/api/http_server.h"
#include "daemon/api/key_usage_flusher.h"
#include "daemon/api/routes.h"
#include "daemon/backend.h"
#include "daemon/bootstrap.h"
#include "daemon/cross_node.h"
#include "daemon/engines/dispatcher.h"
#include "daemon/engines/executor.h"
#include "daemon/engines/scheduler.h"
#include "daemon/fd_limit.h"
#include "daemon/instance_lock.h"
#include "daemon/log.h"
#include "daemon/service/account_service.h"
#include "daemon/service/api_key_service.h"
#include "daemon/service/event_bus.h"
#include "daemon/service/event_log_service.h"
#include "daemon/service/event_tail.h"
#include "daemon/service/export_service.h"
#include "daemon/service/http_run_service.h"
#include "daemon/service/job_service.h"
#include "daemon/service/metrics_service.h"
#include "daemon/service/node_service.h"
#include "daemon/service/run_service.h"
#include "daemon/service/timer_service.h"
#include "daemon/service/usage_service.h"
#include "daemon/service/webhook_secrets.h"
#include "daemon/service/worker_service.h"
#include "daemon/store/account_store.h"
#include "daemon/store/event_store.h"
#include "daemon/store/key_store.h"
#include "daemon/webhook_wiring.h"
#include "flare/version.h"

namespace flare::daemon {
namespace {

// Routes after-commit signals to the engine that acts on them.
class EngineNotifier final : public WorkNotifier {
 public:
  Dispatcher* dispatcher = nullptr;
  Scheduler* scheduler = nullptr;
  Executor* executor = nullptr;
  void WorkerRunReady(const std::string& project, const std::string& queue,
                      const std::string& type) override {
    if (dispatcher) dispatcher->WorkerRunReady(project, queue, type);
    if (CrossNodeWakeups* others = other_nodes.load()) others->WorkerRunReady(project, queue, type);
  }
  void HttpRunReady(const PendingHttpRun& run) override {
    if (executor) executor->Enqueue(run);
  }
  void WakeAt(TimePoint t) override {
    if (scheduler) scheduler->WakeAt(t);
    if (CrossNodeWakeups* others = other_nodes.load()) others->WakeAt(t);
  }
  void RunCancelled(const std::string& run_id) override {
    if (executor) executor->Cancel(run_id);
    if (CrossNodeWakeups* others = other_nodes.load()) others->RunCancelled(run_id);
  }
  HttpRunStarter* http_starter() override { return executor; }
  ParkedPolls* parked_polls() override { return dispatcher; }
  EventObserver* events() override { return &observers; }
  void JobSaved(Tx& tx, const JobRecord& job) override {
    if (bus) bus->JobSaved(tx, job);
  }
  EventObservers observers;
  EventBus* bus = nullptr;
  // Set once the engines run, on a database shared with other nodes; read by committing
  // threads.
  std::atomic<CrossNodeWakeups*> other_nodes{nullptr};
};

Result<EgressPolicy> BuildEgressPolicy(const DaemonConfig& config) {
  EgressPolicy policy;
  policy.allow_private = config.allow_private_targets;
  for (const auto& text : config.allow_targets) {
    auto cidr = ParseCidr(text);
    if (!cidr)
      return Error{ErrorCode::kInvalidRequest,
                   "--allow-target " + text + ": " + cidr.error().message};
    policy.allowed.push_back(*cidr);
  }
  return policy;
}

std::string FormatAddress(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The first line of a small file, or "" when it is missing.
std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// `flared --print-routes`: the route table as JSON lines, for tests that must cover every
// route (the tenancy matrix), including routes added later.
int PrintRoutes(const Router& router, Backend& backend) {
  for (const auto& route : router.Routes()) {
    std::puts(
        nlohmann::json{{"method", route.method}, {"pattern", route.pattern}, {"scope", route.scope}}
            .dump()
            .c_str());
  }
  backend.Stop();
  return 0;
}

}  // namespace

struct Daemon::Parts {
  EngineNotifier notifier;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<CrossNodeWakeups> other_nodes;
  std::unique_ptr<JobService> jobs;
  std::unique_ptr<WorkerService> workers;
  std::unique_ptr<RunService> runs;
  std::unique_ptr<NodeService> node;
  std::unique_ptr<TimerService> timer;
  std::unique_ptr<RetentionService> retention;
  std::unique_ptr<HttpRunService> http_runs;
  std::unique_ptr<EventBus> bus;
  std::unique_ptr<EventTail> event_tail;  // on a shared database: feeds the bus
  std::unique_ptr<EventLogService> event_log;
  std::unique_ptr<ExportService> exports;
  std::unique_ptr<StreamSlots> stream_slots;
  std::unique_ptr<Executor> executor;
  std::unique_ptr<Webhooks> webhooks;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<AccountService> accounts;
  std::unique_ptr<ApiKeyService> api_keys;
  std::unique_ptr<KeyUsageFlusher> key_usage;
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpServer> server;
  MetricsRecorder metrics_recorder;
  std::unique_ptr<MetricsService> metrics;
  std::unique_ptr<UsageService> usage;
  std::string addr_file;
  std::optional<InstanceLock> lock;
};

Daemon::Daemon(DaemonConfig config)
    : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

Daemon::~Daemon() = default;

void Daemon::RequestStop() {
  if (stop_requested_.exchange(true)) return;
  LogInfo("stopping");
  std::lock_guard lock(stop_mutex_);
  if (parts_->dispatcher) parts_->dispatcher->Shutdown();
  if (parts_->bus) parts_->bus->Shutdown();
  if (parts_->server) parts_->server->Stop();
}

int Daemon::Run() {
  Parts& p = *parts_;
  std::filesystem::create_directories(config_.data_dir);
  ::chmod(config_.data_dir.c_str(), 0700);
  // Before the database is opened or flared.addr touched: they belong to the holder.
  auto instance_lock = InstanceLock::Acquire(config_.data_dir);
  if (!instance_lock) {
    LogError("cannot start", {{"error", instance_lock.error().message}});
    return 1;
  }
  p.lock.emplace(std::move(*instance_lock));
  RaiseOpenFileLimit();
  const Clock& clock = SystemClock::Instance();
  auto backend = OpenBackend(config_, clock);
  if (!backend) {
    LogError("cannot start", {{"error", backend.error().message}});
    return 1;
  }
  p.backend = std::move(*backend);
  Transactions& writer = p.backend->transactions();
  Readers& readers = p.backend->readers();
  auto webhook_key = config_.webhook_key_file.empty() ? LoadOrCreateWebhookKey(config_.data_dir)
                                                      : LoadWebhookKey(config_.webhook_key_file);
  if (!webhook_key) {
    LogError("cannot start", {{"error", webhook_key.error().message}});
    return 1;
  }
  if (auto agreed = p.backend->AgreeOnWebhookKey(*webhook_key); !agreed) {
    LogError("cannot start", {{"error", agreed.error().message}});
    return 1;
  }
  if (auto key_file = EnsureDefaultProject(writer, config_.data_dir); !key_file.empty()) {
    LogInfo("created project 'default' and an admin key", {{"key_file", key_file}});
  }
  {
    // Before the first event is written: the bus's ring holds every event after this
    // position, and every new id sorts after the last one even if the clock went back
    // across the restart.
    std::string newest;
    {
      auto reader = readers.Acquire();
      ObserveIssuedId(reader->events().LastId());
      newest = reader->events().NewestPosition();
    }
    std::lock_guard lock(stop_mutex_);
    p.bus = std::make_unique<EventBus>();
    if (p.backend->shared()) {
      // Other sessions and nodes commit events too, not in position order: the tail reads
      // them back in order, and this node's commits and the other nodes' announcements poke it.
      p.event_tail = std::make_unique<EventTail>(readers, *p.bus, newest);
      p.bus->FeedFromTail([&p] {
        p.event_tail->Poke();
        if (CrossNodeWakeups* others = p.notifier.other_nodes.load()) others->EventsCommitted();
      });
    }
    p.bus->Start(newest);
    if (p.event_tail) p.event_tail->Start();
    if (stop_requested_) p.bus->Shutdown();
  }
  p.notifier.observers.Add(*p.bus);
  p.notifier.bus = p.bus.get();
  ServiceContext context{writer, readers, clock, p.notifier};
  // Before anything moves a run: the HTTP runs of the flared that ran here before are taken
  // over by this node (node_service.h).
  std::string node_file = config_.data_dir + "/node.id";
  NodeIdentity identity{NewId("node"), p.backend->shared(), ReadFirstLine(node_file)};
  p.node = std::make_unique<NodeService>(context, identity);
  if (auto joined = p.node->Join(); !joined) {
    LogError("cannot start", {{"error", joined.error().message}});
    return 1;
  }
  // The next start on this data dir takes this node's place (NodeIdentity::predecessor).
  std::ofstream(node_file) << identity.id << "\n";
  // Before any run moves: the latency slots start from the retained runs, then follow events.
  p.metrics_recorder.Rebuild(readers.Acquire()->usage(), clock.Now());
  p.notifier.observers.Add(p.metrics_recorder);
  p.metrics = std::make_unique<MetricsService>(context, p.metrics_recorder);
  p.usage = std::make_unique<UsageService>(context);
  p.jobs = std::make_unique<JobService>(context);
  p.workers = std::make_unique<WorkerService>(context);
  p.runs = std::make_unique<RunService>(context);
  p.timer = std::make_unique<TimerService>(context, p.node->node());
  {
    std::lock_guard lock(stop_mutex_);
    p.dispatcher = std::make_unique<Dispatcher>(*p.workers, config_.max_waiters);
  }
  RetentionPolicy retention{*ParseDuration(config_.retain_succeeded),
                            *ParseDuration(config_.retain_failed)};
  p.retention = std::make_unique<RetentionService>(context, retention);
  // The per-minute run counters behind metrics are pruned at start and then hourly.
  p.scheduler =
      std::make_unique<Scheduler>(clock, *p.timer, *p.retention, [metrics = p.metrics.get()] {
        if (auto pruned = metrics->PruneOldStats(); !pruned)
          LogError("pruning run counters failed", {{"error", pruned.error().message}});
      });
  p.notifier.dispatcher = p.dispatcher.get();
  p.notifier.scheduler = p.scheduler.get();
  p.http_runs = std::make_unique<HttpRunService>(context, p.node->node().id);
  auto policy = BuildEgressPolicy(config_);
  if (!policy) {
    LogError("cannot start", {{"error", policy.error().message}});
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread uses curl
  ExecutorOptions executor_options;
  executor_options.concurrency = config_.executor_concurrency;
  p.executor =
      std::make_unique<Executor>(*p.http_runs, MakeCurlTransport(*policy), executor_options);
  p.notifier.executor = p.executor.get();
  auto webhooks =
      Webhooks::Make(context, config_, *policy, p.node->node().id, std::move(*webhook_key));
  if (!webhooks) {
    LogError("cannot start", {{"error", webhooks.error().message}});
    return 1;
  }
  p.webhooks = std::move(*webhooks);
  p.notifier.observers.Add(p.webhooks->outbox());
  p.webhooks->CountAttemptsWith(
      [&recorder = p.metrics_recorder](const std::string& project, const std::string& outcome) {
        recorder.CountWebhookDelivery(project, outcome);
      });
  p.auth = std::make_unique<Authenticator>(readers.Acquire()->keys().Active());
  AccountOptions account_options{config_.signup_open, config_.password_kdf_iterations,
                                 *ParseDuration(config_.session_ttl),
                                 *ParseDuration(config_.login_lock_base)};
  p.accounts = std::make_unique<AccountService>(context, account_options, *p.usage);
  p.auth->AddSessions(p.accounts->ActiveSessions());
  if (p.backend->shared()) {
    // Keys and logins change through every node: the database answers for each request.
    p.auth->CheckEveryRequestWith([&readers,
                                   &clock](const std::string& hash) -> Result<StoredCredential> {
      try {
        ReadLease reader = readers.Acquire();
        StoredCredential stored{reader->keys().FindActiveByHash(hash), std::nullopt};
        if (!stored.key) stored.session = reader->accounts().FindActiveSession(hash, clock.Now());
        return stored;
      } catch (const std::exception& e) {
        LogError("cannot check a credential", {{"error", e.what()}});
        return Error{ErrorCode::kUnavailable, "flared cannot reach its database; retry shortly"};
      }
    });
  }
  p.api_keys = std::make_unique<ApiKeyService>(context);
  p.key_usage = std::make_unique<KeyUsageFlusher>(*p.auth, *p.api_keys);
  p.router = std::make_unique<Router>(*p.auth);
  AddHealthRoutes(*p.router);
  AddJobRoutes(*p.router, *p.jobs);
  AddRunRoutes(*p.router, *p.runs);
  AddWorkerRoutes(*p.router, *p.workers, *p.dispatcher);
  AddWebhookRoutes(*p.router, p.webhooks->service());
  AddAccountRoutes(*p.router, *p.accounts, *p.auth);
  AddApiKeyRoutes(*p.router, *p.api_keys, *p.auth);
  AddMetricsRoutes(*p.router, *p.metrics);
  AddUsageRoutes(*p.router, *p.usage);
  p.event_log = std::make_unique<EventLogService>(context, *p.bus);
  p.stream_slots = std::make_unique<StreamSlots>(config_.max_streams);
  StreamOptions stream_options{config_.max_streams,
                               std::chrono::milliseconds(config_.stream_heartbeat_ms),
                               std::chrono::milliseconds(config_.job_stream_ms)};
  AddEventRoutes(*p.router, *p.event_log, *p.jobs, *p.stream_slots, stream_options);
  p.exports = std::make_unique<ExportService>(
      context, std::chrono::seconds(config_.export_cooldown_seconds));
  AddExportRoutes(*p.router, *p.exports);
  // Every waiting poll and every open event stream holds a thread; ordinary requests need
  // their own on top.
  HttpServerOptions server_options;
  server_options.max_threads = config_.max_waiters + config_.max_streams + 512;
  {
    // A stop requested before this point (even before listening) is not lost: Stop is
    // sticky and Serve then returns at once.
    std::lock_guard lock(stop_mutex_);
    p.server = std::make_unique<HttpServer>(*p.router, server_options);
    if (stop_requested_) p.server->Stop();
  }
  if (config_.print_routes) return PrintRoutes(*p.router, *p.backend);
  auto port = p.server->Bind(config_.listen_host, config_.listen_port);
  if (!port) {
    LogError("cannot start", {{"error", port.error().message}});
    return 1;
  }
  p.scheduler->Start();
  p.executor->Start();
  if (p.backend->shared()) {
    // What this node's commits make ready reaches the other nodes' engines, and theirs ours.
    LocalEngines local{
        [&p](const std::string& project, const std::string& queue, const std::string& type) {
          p.dispatcher->WorkerRunReady(project, queue, type);
        },
        [&p](TimePoint t) { p.scheduler->WakeAt(t); },
        [&p](const std::string& run_id) { p.executor->Cancel(run_id); },
        [&p, &clock](bool reconnected) {
          // Parked polls only missed something while nobody listened; the timer looks
          // every few seconds in any case (a due fire of a node that died unannounced).
          if (reconnected) p.dispatcher->WakeAll();
          p.scheduler->WakeAt(clock.Now());
          if (reconnected) p.event_tail->Poke();
        },
        [&p] { p.event_tail->Poke(); }};
    p.other_nodes = std::make_unique<CrossNodeWakeups>(p.backend->postgres_uri(), p.node->node().id,
                                                       std::move(local));
    p.other_nodes->Start();
    p.notifier.other_nodes = p.other_nodes.get();
  }
  p.webhooks->engine().Start();
  p.key_usage->Start();
  std::string address = FormatAddress(config_.listen_host, *port);
  p.addr_file = config_.data_dir + "/flared.addr";
  std::ofstream(p.addr_file) << address << "\n";
  LogInfo("flared listening",
          {{"address", address},
           {"version", kVersion},
           {"node", p.node->node().id},
           {"db", p.backend->Describe()},
           {"durability", config_.durability == Durability::kFull ? "full" : "normal"}});
  bool served = p.server->Serve();
  std::filesystem::remove(p.addr_file);
  if (p.other_nodes) {
    p.notifier.other_nodes = nullptr;
    p.other_nodes->Stop();
  }
  p.executor->Stop(std::chrono::seconds(8));
  p.webhooks->engine().Stop(std::chrono::seconds(2));
  p.scheduler->Stop();
  p.key_usage->Stop();
  if (p.event_tail) p.event_tail->Stop();
  // Calls the executor abandoned are taken over at once by the next start (or another node).
  if (auto left = p.node->Leave(); !left)
    LogError("could not record this node's stop", {{"error", left.error().message}});
  p.backend->Stop();
  LogInfo("stopped");
  return served || stop_requested_ ? 0 : 1;
}

}  // namespace flare::daemon
