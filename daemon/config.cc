#include "daemon/config.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "common/time_format.h"
#include "flare/version.h"

namespace flare::daemon {

bool IsPostgresUri(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::string DefaultDataDir() {
  if (const char* dir = std::getenv("FLARE_DATA_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/flare";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/flare";
}

Status ParseListen(const std::string& text, std::string& host, int& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos)
    return InvalidRequest("--listen must be HOST:PORT, e.g. 127.0.0.1:5100");
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  std::string port_text = text.substr(colon + 1);
  char* end = nullptr;
  long value = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || value < 0 || value > 65535) {
    return InvalidRequest("--listen port must be 0-65535");
  }
  port = static_cast<int>(value);
  return Ok{};
}

ParseOutcome ParseDaemonArgs(int argc, char** argv, DaemonConfig& config, std::string& message) {
  CLI::App app{"flared: background jobs and cron scheduling daemon (HTTP API, SQLite storage)",
               "flared"};
  std::string listen = "127.0.0.1:5100", durability = "full", log_format = "text",
              log_level = "info";
  bool show_version = false;
  app.add_option("--listen", listen, "Address to serve the API on (HOST:PORT; port 0 picks one)")
      ->envname("FLARE_LISTEN")
      ->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "Data directory (database, admin.key)")
      ->envname("FLARE_DATA_DIR");
  app.add_option("--db", config.db_path,
                 "SQLite database file (default <data-dir>/flare.db), or a PostgreSQL URI "
                 "(postgresql://USER@HOST:PORT/DATABASE) shared by several flared nodes")
      ->envname("FLARE_DB");
  app.add_option("--db-pool-size", config.db_pool_size,
                 "PostgreSQL: sessions flared opens at most (reads and writes share them)")
      ->envname("FLARE_DB_POOL_SIZE")
      ->check(CLI::Range(2, 1000));
  app.add_option("--webhook-key-file", config.webhook_key_file,
                 "The 32-byte key that encrypts webhook secrets (default <data-dir>/webhook.key, "
                 "created when missing); every node of a shared database needs the same one")
      ->envname("FLARE_WEBHOOK_KEY_FILE");
  app.add_flag("--allow-private-targets", config.allow_private_targets,
               "Let HTTP jobs reach loopback/private addresses")
      ->envname("FLARE_ALLOW_PRIVATE_TARGETS");
  app.add_option("--allow-target", config.allow_targets,
                 "Allow HTTP jobs to reach this CIDR (repeatable)")
      ->envname("FLARE_ALLOW_TARGET");
  app.add_option("--executor-concurrency", config.executor_concurrency,
                 "HTTP runs performed at once")
      ->envname("FLARE_EXECUTOR_CONCURRENCY")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--durability", durability,
                 "full: fsync every commit; normal: survive crashes, not power loss")
      ->envname("FLARE_DURABILITY")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  app.add_option("--retain-succeeded", config.retain_succeeded, "Keep succeeded runs this long")
      ->envname("FLARE_RETAIN_SUCCEEDED")
      ->capture_default_str();
  app.add_option("--retain-failed", config.retain_failed, "Keep failed runs this long")
      ->envname("FLARE_RETAIN_FAILED")
      ->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")
      ->envname("FLARE_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->envname("FLARE_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--max-waiters", config.max_waiters, "Long-polls allowed to wait at once")
      ->envname("FLARE_MAX_WAITERS")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  // For tests only (hidden): one webhook attempt's timeout, the first retry delay, the window.
  app.add_option("--webhook-timeout-ms", config.webhook_timeout_ms)
      ->group("")
      ->check(CLI::Range(1, 600000));
  app.add_option("--webhook-retry-base-ms", config.webhook_retry_base_ms)
      ->group("")
      ->check(CLI::Range(1, 3600000));
  app.add_option("--webhook-retry-window-s", config.webhook_retry_window_s)
      ->group("")
      ->check(CLI::Range(1, 30 * 86400));
  std::string signup = "open";
  app.add_option("--signup", signup, "open: anyone may sign up (a new project each); closed: no")
      ->envname("FLARE_SIGNUP")
      ->check(CLI::IsMember({"open", "closed"}))
      ->capture_default_str();
  // Test-only knobs, hidden from --help: a cheap KDF keeps sanitizer runs fast, a short TTL
  // lets a test see a session expire, the route table feeds the tenancy matrix.
  app.add_option("--password-kdf-iterations", config.password_kdf_iterations)
      ->check(CLI::Range(1000, 10'000'000))
      ->group("");
  app.add_option("--session-ttl", config.session_ttl)->group("");
  app.add_option("--login-lock-base", config.login_lock_base)->group("");
  app.add_flag("--print-routes", config.print_routes)->group("");
  app.add_option("--max-streams", config.max_streams,
                 "Event streams (SSE) allowed to be open at once")
      ->envname("FLARE_MAX_STREAMS")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  // Hidden: lets tests shorten what seed 004 fixes (heartbeat, 120 s stream, 60 s cooldown).
  app.add_option("--stream-heartbeat-ms", config.stream_heartbeat_ms)
      ->envname("FLARE_STREAM_HEARTBEAT_MS")
      ->check(CLI::Range(10, 3'600'000))
      ->group("");
  app.add_option("--job-stream-ms", config.job_stream_ms)
      ->envname("FLARE_JOB_STREAM_MS")
      ->check(CLI::Range(10, 3'600'000))
      ->group("");
  app.add_option("--export-cooldown-seconds", config.export_cooldown_seconds)
      ->envname("FLARE_EXPORT_COOLDOWN_SECONDS")
      ->check(CLI::Range(0, 86'400))
      ->group("");
  app.add_flag("--version", show_version, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    message = app.help();
    return ParseOutcome::kExitOk;
  } catch (const CLI::ParseError& e) {
    message = std::string("flared: ") + e.what() + "\nRun 'flared --help' for the flags.";
    return ParseOutcome::kExitUsage;
  }
  if (show_version) {
    message = std::string("flared ") + kVersion;
    return ParseOutcome::kExitOk;
  }
  config.signup_open = signup == "open";
  for (const auto& duration : {config.session_ttl, config.login_lock_base}) {
    if (!ParseDuration(duration)) {
      message = "flared: '" + duration + "' is not a duration like 30d or 2s";
      return ParseOutcome::kExitUsage;
    }
  }
  for (const auto& retention : {config.retain_succeeded, config.retain_failed}) {
    if (!ParseDuration(retention)) {
      message = "flared: retention '" + retention + "' is not a duration like 7d or 12h";
      return ParseOutcome::kExitUsage;
    }
  }
  if (auto parsed = ParseListen(listen, config.listen_host, config.listen_port); !parsed) {
    message = "flared: " + parsed.error().message;
    return ParseOutcome::kExitUsage;
  }
  if (config.data_dir.empty()) config.data_dir = DefaultDataDir();
  if (config.db_path.empty()) config.db_path = config.data_dir + "/flare.db";
  config.durability = durability == "normal" ? Durability::kNormal : Durability::kFull;
  config.log_format = log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  config.log_level = log_level == "debug"   ? LogLevel::kDebug
                     : log_level == "warn"  ? LogLevel::kWarn
                     : log_level == "error" ? LogLevel::kError
                                            : LogLevel::kInfo;
  return ParseOutcome::kRun;
}

}  // namespace flare::daemon
