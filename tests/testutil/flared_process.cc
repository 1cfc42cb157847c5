#include "tests/testutil/flared_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace flare::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<char*> ToArgv(std::vector<std::string>& strings) {
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

// A sanitizer report in a child's output fails the test that started it, even when the test
// never reads that output: ASan, LSan, UBSan and TSan builds of flared and flarectl print
// these to stderr (and, under halt_on_error, also exit).
void ExpectNoSanitizerReport(const std::string& output, const std::string& program) {
  for (const char* mark :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
        "FATAL: ThreadSanitizer", "runtime error:"}) {
    size_t at = output.find(mark);
    if (at == std::string::npos) continue;
    size_t from = at > 200 ? at - 200 : 0;
    ADD_FAILURE() << program << " printed a sanitizer report (" << mark << "):\n"
                  << output.substr(from, 12000);
    return;
  }
}

}  // namespace

nlohmann::json HttpReply::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool TestingOnPostgres() {
  const char* backend = std::getenv("FLARE_TEST_BACKEND");
  return backend && std::string_view(backend) == "postgres";
}

FlaredProcess::FlaredProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  log_path_ = data_dir_.path() / "flared-test.log";
  bool names_database =
      std::find(extra_args_.begin(), extra_args_.end(), "--db") != extra_args_.end();
  if (TestingOnPostgres() && !names_database) {
    database_ = std::make_unique<daemon::pg::testing::TestDatabase>();
    extra_args_.insert(extra_args_.end(), {"--db", database_->uri()});
  }
  Start();
}

FlaredProcess::~FlaredProcess() {
  if (pid_ > 0) {
    if (Stop(std::chrono::seconds(10)) < 0) Kill9();
  }
  ExpectNoSanitizerReport(Log(), "flared");
}

void FlaredProcess::Start() {
  std::filesystem::remove(data_dir_.path() / "flared.addr");
  std::vector<std::string> args = {FLARED_PATH, "--listen", listen_, "--data-dir",
                                   data_dir_.path().string()};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    auto argv = ToArgv(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  auto addr_file = data_dir_.path() / "flared.addr";
  bool up = WaitFor(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;
        }
        return std::filesystem::exists(addr_file) && !ReadFile(addr_file).empty();
      },
      std::chrono::seconds(20));
  if (!up || pid_ < 0) {
    throw std::runtime_error("flared did not start; log:\n" + Log());
  }
  std::string addr = ReadFile(addr_file);
  while (!addr.empty() && (addr.back() == '\n' || addr.back() == '\r')) addr.pop_back();
  port_ = std::stoi(addr.substr(addr.rfind(':') + 1));
  base_url_ = "http://" + addr;
  std::string key = ReadFile(data_dir_.path() / "admin.key");
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (!key.empty()) admin_key_ = key;  // a node joining a database has none of its own
}

void FlaredProcess::EraseDatabase() {
  if (pid_ > 0) throw std::logic_error("EraseDatabase while flared runs");
  if (database_) {
    database_->Recreate();
    return;
  }
  for (const char* name : {"flare.db", "flare.db-wal", "flare.db-shm"})
    std::filesystem::remove(data_dir_.path() / name);
}

std::string FlaredProcess::Log() const { return ReadFile(log_path_); }

void FlaredProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int FlaredProcess::Stop(std::chrono::seconds timeout) {
  if (pid_ <= 0) return 0;
  kill(pid_, SIGTERM);
  int status = 0;
  bool exited = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
  if (!exited) return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void FlaredProcess::Restart() {
  if (pid_ > 0) Kill9();
  Start();
}

void FlaredProcess::RestartOnSamePort() {
  if (pid_ > 0) Kill9();
  listen_ = "127.0.0.1:" + std::to_string(port_);
  Start();
  listen_ = "127.0.0.1:0";
}

namespace {

HttpReply SendHttp(int port, const std::string& method, const std::string& path,
                   const httplib::Headers& headers, const std::string& body,
                   const std::string& content_type, std::chrono::seconds read_timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(read_timeout);
  httplib::Result result = [&] {
    if (method == "GET") return client.Get(path, headers);
    if (method == "DELETE") return client.Delete(path, headers, body, content_type);
    if (method == "PATCH") return client.Patch(path, headers, body, content_type);
    if (method == "PUT") return client.Put(path, headers, body, content_type);
    return client.Post(path, headers, body, content_type);
  }();
  HttpReply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.body = result->body;
  for (const auto& [k, v] : result->headers) reply.headers.emplace(k, v);
  return reply;
}

}  // namespace

HttpReply FlaredProcess::Send(const std::string& method, const std::string& path,
                              const std::string& body, const std::string& content_type,
                              const std::multimap<std::string, std::string>& extra,
                              const std::string& key) const {
  httplib::Headers headers(extra.begin(), extra.end());
  std::string bearer = key == "\x01" ? admin_key_ : key;
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  return SendHttp(port_, method, path, headers, body, content_type, std::chrono::seconds(90));
}

HttpReply FlaredProcess::CallRaw(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& content_type,
                                 const std::string& key) const {
  return Send(method, path, body, content_type, {}, key);
}

HttpReply FlaredProcess::Call(const std::string& method, const std::string& path,
                              const nlohmann::json& body, const std::string& key,
                              const std::multimap<std::string, std::string>& extra) const {
  return Send(method, path, body.is_null() ? "" : body.dump(), "application/json", extra, key);
}

CommandResult FlaredProcess::Flarectl(const std::vector<std::string>& args,
                                      const std::string& input,
                                      const std::vector<std::string>& env) const {
  std::vector<std::string> full = {"--base-url", base_url_, "--api-key", admin_key_};
  full.insert(full.end(), args.begin(), args.end());
  return RunProgram(FLARECTL_PATH, full, input, env);
}

CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         const std::string& input, const std::vector<std::string>& env,
                         std::chrono::seconds timeout) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    // A hermetic environment: no user config, no colours, no inherited FLARE_* settings.
    for (const char* name :
         {"FLARE_BASE_URL", "FLARE_API_KEY", "FLARE_PROFILE", "FLARE_DATA_DIR"}) {
      unsetenv(name);
    }
    setenv("NO_COLOR", "1", 1);
    for (const auto& entry : env) putenv(strdup(entry.c_str()));
    auto argv = ToArgv(argv_strings);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin from a thread so a child that writes a lot before reading cannot deadlock us.
  std::thread feeder([fd = in_pipe[1], input] {
    signal(SIGPIPE, SIG_IGN);
    size_t written = 0;
    while (written < input.size()) {
      ssize_t n = write(fd, input.data() + written, input.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(fd);
  });
  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int open_count = 2;
  char buffer[65536];
  while (open_count > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  if (open_count > 0) kill(pid, SIGKILL);
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  feeder.join();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ExpectNoSanitizerReport(result.err, program);
  return result;
}

}  // namespace flare::testing
