#pragma once
// flared's settings (SPEC §8): flags, each also readable from a FLARE_* environment variable.

#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/log.h"
#include "daemon/store/connection.h"

namespace flare::daemon {

struct DaemonConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 5100;
  std::string data_dir;
  /// --db: a SQLite file (default <data-dir>/flare.db) or a PostgreSQL URI (postgresql://…).
  std::string db_path;
  /// Sessions flared opens to PostgreSQL at most (reads and writes share them).
  size_t db_pool_size = 32;
  /// The key that encrypts webhook secrets; empty: <data-dir>/webhook.key, created when
  /// missing. Nodes sharing a database must all be given the same key.
  std::string webhook_key_file;
  bool allow_private_targets = false;
  std::vector<std::string> allow_targets;  // CIDRs
  int executor_concurrency = 256;
  Durability durability = Durability::kFull;
  std::string retain_succeeded = "7d";
  std::string retain_failed = "90d";
  LogFormat log_format = LogFormat::kText;
  LogLevel log_level = LogLevel::kInfo;
  size_t max_waiters = 1000;
  // Webhook delivery timing; hidden flags so tests need no real 10 s timeouts or 5 s backoffs.
  int webhook_timeout_ms = 10000;
  int webhook_retry_base_ms = 5000;
  int webhook_retry_window_s = 24 * 3600;
  bool signup_open = true;  // --signup open|closed
  // Hidden, for tests: the password KDF's cost (default 600,000) and a session's lifetime.
  int password_kdf_iterations = 600'000;
  std::string session_ttl = "30d";
  std::string login_lock_base = "1s";  // the first lock after too many failed logins
  bool print_routes = false;           // hidden: print the route table as JSON lines and exit
  size_t max_streams = 1000;
  // Hidden (for tests): SSE heartbeat, the job snapshot stream's life, export cooldown.
  int stream_heartbeat_ms = 15'000;
  int job_stream_ms = 120'000;
  int export_cooldown_seconds = 60;
};

/// Whether `db` names a PostgreSQL database (a libpq URI) rather than a SQLite file.
bool IsPostgresUri(const std::string& db);

enum class ParseOutcome { kRun, kExitOk, kExitUsage };

/// Parses argv and the environment. On kExitOk/kExitUsage, `message` is what to print.
ParseOutcome ParseDaemonArgs(int argc, char** argv, DaemonConfig& config, std::string& message);
/// $FLARE_DATA_DIR, else $XDG_DATA_HOME/flare, else ~/.local/share/flare.
std::string DefaultDataDir();
/// "127.0.0.1:5100", "[::1]:5100", ":5100" → host and port.
Status ParseListen(const std::string& text, std::string& host, int& port);

}  // namespace flare::daemon
