#pragma once
// Names for flared's threads, so `top -H`, `ps -L` and `perf report --sort comm` tell the
// writer from the scheduler from the request threads (Linux keeps 15 characters).

#include <functional>
#include <string>
#include <thread>

namespace flare {

/// Names the calling thread; a name longer than the kernel keeps is cut to its first 15
/// characters. Failure is ignored: a name is for people reading a process list.
void NameThisThread(const std::string& name);

/// A thread that names itself `name`, then runs `body`.
std::thread NamedThread(std::string name, std::function<void()> body);

/// The calling thread's name ("" when it cannot be read).
std::string ThisThreadName();

}  // namespace flare
