#pragma once
// A flared started by a bench program (flare_export, flare_sse): its own data dir, port 0,
// the address and admin key read back from the data dir, SIGTERM to stop, and its memory
// (VmRSS / VmHWM from /proc) for the figures.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

class BenchFlared {
 public:
  BenchFlared(std::string binary, std::string dir, std::vector<std::string> extra)
      : binary_(std::move(binary)), dir_(std::move(dir)), extra_(std::move(extra)) {
    Start();
  }
  ~BenchFlared() { Stop(); }

  void Start() {
    std::filesystem::remove(dir_ + "/flared.addr");
    std::vector<std::string> args = {binary_, "--listen",    "127.0.0.1:0", "--data-dir",
                                     dir_,    "--log-level", "warn"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(dir_ + "/flared.addr")) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("flared did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream addr(dir_ + "/flared.addr");
    std::string text;
    addr >> text;
    port_ = std::stoi(text.substr(text.rfind(':') + 1));
    std::ifstream key(dir_ + "/admin.key");
    key >> key_;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& key() const { return key_; }
  /// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM").
  long MemoryKib(const std::string& field) const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
  }

 private:
  std::string binary_;
  std::string dir_;
  std::vector<std::string> extra_;
  int pid_ = -1;
  int port_ = 0;
  std::string key_;
};

}  // namespace bench
