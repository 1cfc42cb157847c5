#pragma once
// A real flared for integration tests: started on 127.0.0.1 port 0 with a temp data dir,
// reached over HTTP, killed with SIGKILL or stopped with SIGTERM, restarted on the same data.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testutil/pg_database.h"
#include "tests/testutil/temp_dir.h"

namespace flare::testing {

struct HttpReply {
  int status = 0;  // 0 when the request did not get an answer
  std::string body;
  std::multimap<std::string, std::string> headers;
  nlohmann::json json() const;  // the parsed body (null when it is not JSON)
  std::string header(const std::string& name) const;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Whether the integration tests run flared on PostgreSQL (FLARE_TEST_BACKEND=postgres, set
/// by ctest for the "pg." copy of the suite) rather than on its embedded SQLite default.
bool TestingOnPostgres();

class FlaredProcess {
 public:
  /// Starts flared with `extra_args` added to --listen 127.0.0.1:0 --data-dir <temp>. On
  /// PostgreSQL (TestingOnPostgres) it also gets a fresh database of the test cluster,
  /// dropped with this object, unless `extra_args` names one (--db: nodes sharing one).
  explicit FlaredProcess(std::vector<std::string> extra_args = {});
  ~FlaredProcess();
  FlaredProcess(const FlaredProcess&) = delete;
  FlaredProcess& operator=(const FlaredProcess&) = delete;

  const std::string& base_url() const { return base_url_; }
  int port() const { return port_; }
  const std::string& admin_key() const { return admin_key_; }
  /// The key calls send by default (another node's admin key, for a node that joined a
  /// database other nodes created).
  void set_admin_key(std::string key) { admin_key_ = std::move(key); }
  const std::filesystem::path& data_dir() const { return data_dir_.path(); }
  /// The PostgreSQL database this flared was given (TestingOnPostgres), else "".
  std::string database_uri() const { return database_ ? database_->uri() : ""; }
  /// Deletes every row flared stored, as if it had never started (SQLite: the database
  /// files; PostgreSQL: its database, created again empty). Only while it is not running.
  void EraseDatabase();
  /// Everything flared wrote to stdout and stderr so far.
  std::string Log() const;

  /// SIGKILL, no chance to clean up.
  void Kill9();
  /// SIGTERM and wait for the exit; returns the exit status (or -1 on timeout).
  int Stop(std::chrono::seconds timeout = std::chrono::seconds(15));
  /// Starts again on the same data dir (and a new port).
  void Restart();
  /// SIGKILL if running, then start again on the same data dir and the same port (clients
  /// that know the address, such as a running worker, reach the new process).
  void RestartOnSamePort();
  bool running() const { return pid_ > 0; }

  /// One HTTP call with the admin key (or `key` when given; "" sends no Authorization).
  HttpReply Call(const std::string& method, const std::string& path,
                 const nlohmann::json& body = nullptr, const std::string& key = "\x01",
                 const std::multimap<std::string, std::string>& headers = {}) const;
  /// Raw body variant (for malformed JSON and size tests).
  HttpReply CallRaw(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& content_type = "application/json",
                    const std::string& key = "\x01") const;
  /// Any method with a raw body, a content type and extra headers (all methods carry them).
  HttpReply Send(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& content_type,
                 const std::multimap<std::string, std::string>& headers,
                 const std::string& key = "\x01") const;

  /// Runs flarectl with --base-url and --api-key of this daemon, stdin from `input`.
  CommandResult Flarectl(const std::vector<std::string>& args, const std::string& input = "",
                         const std::vector<std::string>& env = {}) const;

 private:
  void Start();

  TempDir data_dir_;
  // The PostgreSQL database this flared owns (TestingOnPostgres); dropped after it stopped.
  std::unique_ptr<daemon::pg::testing::TestDatabase> database_;
  std::vector<std::string> extra_args_;
  std::string listen_ = "127.0.0.1:0";
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string base_url_;
  std::string admin_key_;
};

/// Runs a program with args, stdin from `input`, extra env "K=V" entries; waits up to `timeout`.
CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         const std::string& input = "", const std::vector<std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(60));

/// Polls `condition` until it is true or `timeout` passes; returns the last value.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace flare::testing
