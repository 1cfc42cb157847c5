#include "tests/unit/cli/cli_test_support.h"

#include <strings.h>

#include "cli/app.h"

namespace flare::cli::testing {

Sandbox::Sandbox() { std::filesystem::create_directories(data_dir()); }

Env Sandbox::MakeEnv(const std::map<std::string, std::string>& extra) const {
  std::map<std::string, std::string> vars = {
      {"HOME", dir_.path().string()},
      {"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
      {"FLARE_DATA_DIR", data_dir().string()},
  };
  for (const auto& [name, value] : extra) vars[name] = value;
  return Env(vars);
}

CliResult Sandbox::Run(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& extra_env, Terminal terminal,
                       const std::string& input) const {
  FakeIo fake(terminal, /*color=*/terminal.stdout_tty, input);
  std::vector<std::string> argv = {"flarectl"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> pointers;
  for (const auto& arg : argv) pointers.push_back(arg.c_str());
  FixedClock clock(FromMillis(1'773'847'800'000));  // 2026-03-18T15:30:00Z
  int code = RunCli(static_cast<int>(pointers.size()), pointers.data(), fake.io, MakeEnv(extra_env),
                    clock);
  return {code, fake.out.str(), fake.err.str()};
}

std::string Recorded::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

std::string Recorded::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

FakeApi::FakeApi() {
  auto dispatch = [this](const httplib::Request& request, httplib::Response& response) {
    Dispatch(request, response);
  };
  server_.Get(".*", dispatch);
  server_.Post(".*", dispatch);
  server_.Patch(".*", dispatch);
  server_.Put(".*", dispatch);
  server_.Delete(".*", dispatch);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() before the accept loop runs is lost (httplib 0.11), so wait until it runs.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
}

FakeApi::~FakeApi() {
  server_.stop();
  thread_.join();
}

void FakeApi::On(const std::string& route, Handler handler) {
  std::lock_guard lock(mutex_);
  handlers_.emplace_back(route, std::move(handler));
}

void FakeApi::Reply(const std::string& route, int status, const nlohmann::json& body) {
  On(route, [status, body](const httplib::Request&, httplib::Response& response) {
    response.status = status;
    if (!body.is_null()) response.set_content(body.dump(), "application/json");
  });
}

void FakeApi::Dispatch(const httplib::Request& request, httplib::Response& response) {
  Recorded recorded{request.method, request.path,    request.target,
                    request.body,   request.headers, request.params};
  std::string route = request.method + " " + request.path;
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(recorded);
    for (const auto& [pattern, candidate] : handlers_) {
      bool prefix = !pattern.empty() && pattern.back() == '*';
      if (pattern == route ||
          (prefix && route.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0)) {
        handler = candidate;
        break;
      }
    }
  }
  changed_.notify_all();
  if (handler) {
    handler(request, response);
    return;
  }
  response.status = 404;
  response.set_content(R"({"error":{"code":"not_found","message":"no such route"}})",
                       "application/json");
}

std::vector<Recorded> FakeApi::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<Recorded> FakeApi::RequestsTo(const std::string& route) const {
  std::vector<Recorded> matching;
  for (const auto& request : requests()) {
    if (request.method + " " + request.path == route) matching.push_back(request);
  }
  return matching;
}

bool FakeApi::WaitFor(const std::function<bool(const std::vector<Recorded>&)>& predicate,
                      std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(requests_); });
}

}  // namespace flare::cli::testing
