#pragma once
// Helpers for flarectl's unit tests: a fake terminal (FakeIo), an in-process flarectl run with
// a hermetic environment (temp HOME, XDG dirs, data dir), and a fake Flare API server
// (httplib::Server on 127.0.0.1, port 0) that records requests and answers from handlers.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/env.h"
#include "cli/io.h"
#include "common/clock.h"
#include "tests/testutil/temp_dir.h"

namespace flare::cli::testing {

/// A string buffer that may be read while another thread writes (worker tests read stderr).
class LockedStringBuf : public std::stringbuf {
 public:
  std::string Snapshot() {
    std::lock_guard lock(mutex_);
    return str();
  }

 protected:
  std::streamsize xsputn(const char* text, std::streamsize count) override {
    std::lock_guard lock(mutex_);
    return std::stringbuf::xsputn(text, count);
  }
  int_type overflow(int_type c) override {
    std::lock_guard lock(mutex_);
    return std::stringbuf::overflow(c);
  }

 private:
  std::recursive_mutex mutex_;  // xsputn may call overflow
};

/// A stream over a LockedStringBuf; str() is a consistent snapshot.
class LockedStream : public std::ostream {
 public:
  LockedStream() : std::ostream(&buffer_) {}
  std::string str() { return buffer_.Snapshot(); }

 private:
  LockedStringBuf buffer_;
};

/// An Io over string streams with a chosen terminal.
struct FakeIo {
  explicit FakeIo(Terminal terminal = {}, bool color = false, std::string input = "")
      : in(std::move(input)), io(in, out, err, terminal, color) {}
  std::istringstream in;
  std::ostringstream out;
  LockedStream err;
  Io io;
};

/// A terminal on every stream.
inline Terminal Tty() { return Terminal{true, true, true, 100}; }

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }

 private:
  TimePoint now_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// A temp home for flarectl: HOME, XDG_CONFIG_HOME, FLARE_DATA_DIR point inside it.
class Sandbox {
 public:
  Sandbox();
  /// Runs flarectl in-process with `args`, this sandbox's env plus `extra_env`.
  CliResult Run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& extra_env = {}, Terminal terminal = {},
                const std::string& input = "") const;
  Env MakeEnv(const std::map<std::string, std::string>& extra = {}) const;
  const std::filesystem::path& home() const { return dir_.path(); }
  std::filesystem::path config_path() const { return dir_.path() / "config/flare/config.json"; }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }

 private:
  flare::testing::TempDir dir_;
};

struct Recorded {
  std::string method;
  std::string path;    // without query
  std::string target;  // with query
  std::string body;
  httplib::Headers headers;
  std::string Header(const std::string& name) const;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string Param(const std::string& name) const;
  httplib::Params params;
};

/// A fake Flare API. Handlers match "METHOD /path" exactly (or a prefix ending in '*');
/// the first registered match answers; unmatched requests get 404 not_found.
class FakeApi {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  FakeApi();
  ~FakeApi();

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void On(const std::string& route, Handler handler);
  /// Answers `route` with `status` and the JSON `body`.
  void Reply(const std::string& route, int status, const nlohmann::json& body);
  std::vector<Recorded> requests() const;
  std::vector<Recorded> RequestsTo(const std::string& route) const;
  /// Waits (with a deadline) until `predicate(requests())` holds.
  bool WaitFor(const std::function<bool(const std::vector<Recorded>&)>& predicate,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void Dispatch(const httplib::Request& request, httplib::Response& response);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::pair<std::string, Handler>> handlers_;
  std::vector<Recorded> requests_;
};

}  // namespace flare::cli::testing
