// Fuzzes the request path from raw bytes to the router: the bytes are one or more HTTP/1.1
// requests, read by cpp-httplib's own request parser (Server::process_request, reached
// through a subclass because it is protected) and answered by flared's Router with every
// real route over real services on a SQLite file in a temp dir.
//
// The server here is set up like daemon/api/http_server.cc (every method to the router,
// the 2 MiB body limit); it is not that class, whose library object is private to it.
// Engines are left out on purpose: no scheduler or executor thread, and the dispatcher is
// shut down first so a fuzzed long poll answers at once instead of waiting.
//
// A handler that throws or a 500 answer aborts: whatever a client sends must get a 4xx
// or a success, never an internal error.
//
// The corpus writes `Authorization: Bearer fuzz-admin-key`; the harness swaps in the real
// admin key after parsing, so inputs reach the handlers behind authentication.

#include <httplib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "daemon/api/auth.h"
#include "daemon/api/router.h"
#include "daemon/api/routes.h"
#include "daemon/bootstrap.h"
#include "daemon/engines/dispatcher.h"
#include "daemon/log.h"
#include "daemon/service/job_service.h"
#include "daemon/service/run_service.h"
#include "daemon/service/worker_service.h"
#include "daemon/store/key_repository.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/writer.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

constexpr size_t kMaxInput = 256 * 1024;
constexpr int kMaxRequestsPerInput = 4;  // pipelined requests on one "connection"
constexpr const char* kKeyPlaceholder = "Bearer fuzz-admin-key";

// The fuzz input as a connection: reads come from the bytes, writes are discarded.
class BytesStream final : public httplib::Stream {
 public:
  explicit BytesStream(std::string_view bytes) : bytes_(bytes) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, bytes_.size() - offset_);
    std::memcpy(ptr, bytes_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return 0; }
  bool exhausted() const { return offset_ >= bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t offset_ = 0;
};

class FuzzServer final : public httplib::Server {
 public:
  FuzzServer(const Router& router, std::string admin_key) : admin_key_(std::move(admin_key)) {
    set_payload_max_length(2 * 1024 * 1024);
    auto dispatch = [&router](const httplib::Request& req, httplib::Response& res) {
      router.Dispatch(req, res);
    };
    Get(".*", dispatch);
    Post(".*", dispatch);
    Put(".*", dispatch);
    Patch(".*", dispatch);
    Delete(".*", dispatch);
    // A client's bytes must never make flared fail: a handler that throws (flared's own
    // server would log it and answer 500) or any 500 answer is a finding, so stop here.
    set_exception_handler([](const httplib::Request& req, httplib::Response&, std::exception_ptr) {
      std::fprintf(stderr, "the handler of %s %s threw\n", req.method.c_str(), req.path.c_str());
      // Called inside the library's catch block: terminate() prints the exception's what().
      std::terminate();
    });
    set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (res.status != 500) return;
      std::fprintf(stderr, "%s %s answered 500: %s\n", req.method.c_str(), req.path.c_str(),
                   res.body.c_str());
      std::abort();
    });
  }

  void Serve(BytesStream& stream) {
    auto with_key = [this](httplib::Request& req) {
      auto it = req.headers.find("Authorization");
      if (it != req.headers.end() && it->second == kKeyPlaceholder) {
        it->second = "Bearer " + admin_key_;
      }
    };
    for (int i = 0; i < kMaxRequestsPerInput && !stream.exhausted(); ++i) {
      bool closed = false;
      if (!process_request(stream, false, closed, with_key) || closed) return;
    }
  }

 private:
  std::string admin_key_;
};

// After-commit signals: workers' polls are the only engine present.
class FuzzNotifier final : public WorkNotifier {
 public:
  Dispatcher* dispatcher = nullptr;
  void WorkerRunReady(const std::string& project, const std::string& queue,
                      const std::string& type) override {
    if (dispatcher) dispatcher->WorkerRunReady(project, queue, type);
  }
  void HttpRunReady(const PendingHttpRun&) override {}
  void WakeAt(TimePoint) override {}
  void RunCancelled(const std::string&) override {}
};

std::string ReadKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  std::getline(in, key);
  return key;
}

// Everything flared builds in Daemon::Run, minus the engines' threads and the socket.
struct Api {
  Api()
      : db((dir / "flare.db").string()),
        writer(db, Durability::kNormal, SystemClock::Instance()),
        readers(db, Durability::kNormal),
        context{writer, readers, SystemClock::Instance(), notifier},
        jobs(context),
        workers(context),
        runs(context),
        dispatcher(workers, 64) {
    ConfigureLog(LogFormat::kText, LogLevel::kError);
    EnsureDefaultProject(writer, dir.path().string());
    notifier.dispatcher = &dispatcher;
    dispatcher.Shutdown();
    auth = std::make_unique<Authenticator>(ActiveApiKeys(*readers.Borrow()));
    router = std::make_unique<Router>(*auth);
    AddHealthRoutes(*router);
    AddJobRoutes(*router, jobs);
    AddRunRoutes(*router, runs);
    AddWorkerRoutes(*router, workers, dispatcher);
    server = std::make_unique<FuzzServer>(*router, ReadKey((dir / "admin.key").string()));
  }

  testing::TempDir dir;
  std::string db;
  FuzzNotifier notifier;
  Writer writer;
  ReaderPool readers;
  ServiceContext context;
  JobService jobs;
  WorkerService workers;
  RunService runs;
  Dispatcher dispatcher;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<Router> router;
  std::unique_ptr<FuzzServer> server;
};

}  // namespace
}  // namespace flare::daemon

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > flare::daemon::kMaxInput) return -1;
  // Built once: the database keeps what earlier inputs created, as a live flared would.
  // Static (not leaked) so the temp dir is removed when the fuzzer exits normally.
  static flare::daemon::Api api;
  flare::daemon::BytesStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  api.server->Serve(stream);
  return 0;
}
