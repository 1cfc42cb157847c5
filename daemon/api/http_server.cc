#include "daemon/api/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_set>

#include "common/quote.h"
#include "daemon/api/deadline_stream.h"
#include "daemon/api/elastic_pool.h"
#include "daemon/api/http_util.h"
#include "daemon/log.h"

namespace flare::daemon {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kListenBacklog = 4096;
constexpr size_t kInitialThreads = 16;
// How long a pool thread waits for a keep-alive connection's next request before handing the
// connection back to the gate (see AwaitNextRequest): most connections a short while, a few
// at a time longer, for clients that send every few milliseconds.
constexpr auto kStayForNextRequest = std::chrono::microseconds(2000);
constexpr auto kLongStayForNextRequest = std::chrono::milliseconds(30);
constexpr int kMaxLongStays = 16;

thread_local SteadyClock::time_point t_request_start;
// The answer went out before the request body was read: the connection cannot be reused.
thread_local bool t_body_unread = false;
// Reading the body failed (cut short or past its deadline): close without lingering.
thread_local bool t_body_failed = false;
thread_local int t_request_fd = -1;

// cpp-httplib with its connection handling handed to flared: an accepted socket goes to
// `on_accept` instead of a thread, and requests are parsed from flared's stream.
class GatedServer final : public httplib::Server {
 public:
  std::function<void(int)> on_accept;

  void UseListeningSocket(int fd) { svr_sock_ = fd; }
  void ForgetListeningSocket() { svr_sock_ = INVALID_SOCKET; }
  bool ProcessRequest(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    on_accept(sock);
    return true;
  }
};

// The accept loop hands each socket over at once; the gate and the pool do the waiting.
class InlineQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> task) override { task(); }
  void shutdown() override {}
};

Error LibraryError(int status) {
  switch (status) {
    case 413:
      return Error{ErrorCode::kPayloadTooLarge,
                   "the request body is larger than 2 MiB; send a smaller body"};
    case 414:
      return Error{ErrorCode::kInvalidRequest, "the request URI is too long"};
    case 415:
      return Error{ErrorCode::kUnsupportedMediaType,
                   "send the body as JSON with Content-Type: application/json"};
    case 404:
      return Error{ErrorCode::kNotFound, "no such endpoint; see the API reference"};
    case 400:
      return Error{ErrorCode::kInvalidRequest, "the request could not be read as HTTP/1.1"};
    default:
      return Error{ErrorCode::kInternal, "flared could not handle the request"};
  }
}

// RFC 9112 §6.3: a request without Content-Length or chunked Transfer-Encoding has no body
// (cpp-httplib would read one until the client closes).
bool HasBody(const httplib::Request& request) {
  if (request.has_header("Transfer-Encoding")) return true;
  return request.get_header_value<uint64_t>("Content-Length") > 0;
}

bool EqualsIgnoreCase(const std::string& a, const char* b) {
  return ::strcasecmp(a.c_str(), b) == 0;
}

// What can be refused from the head alone, before a body byte is read.
std::optional<Error> RefuseBeforeBody(const httplib::Request& request, size_t max_body_bytes) {
  std::string encoding = request.get_header_value("Content-Encoding");
  if (!encoding.empty() && !EqualsIgnoreCase(encoding, "identity")) {
    return Error{ErrorCode::kUnsupportedMediaType,
                 "flared does not accept compressed request bodies (Content-Encoding " +
                     Printable(encoding) + "); send the body uncompressed"};
  }
  if (request.get_header_value<uint64_t>("Content-Length") > max_body_bytes) {
    return Error{ErrorCode::kPayloadTooLarge,
                 "the request body is larger than 2 MiB; send a smaller body"};
  }
  if (request.is_multipart_form_data()) {
    return Error{
        ErrorCode::kUnsupportedMediaType,
        "flared does not read multipart bodies; send JSON with Content-Type: application/json"};
  }
  return std::nullopt;
}

// Marks the answer as the connection's last when the body it came with stays unread. A
// request whose Connection header is exactly "close" gets that header from cpp-httplib,
// which adds it rather than replacing ours: one is enough. (The library compares case-
// sensitively, so a "Close" still gets ours.)
void CloseIfBodyUnread(const httplib::Request& request, httplib::Response& response) {
  if (!HasBody(request)) return;
  t_body_unread = true;
  if (request.get_header_value("Connection") != "close") response.set_header("Connection", "close");
}

Status ReadBody(const httplib::Request& request, const httplib::ContentReader& reader,
                size_t max_bytes, std::string& body) {
  if (!HasBody(request)) return Ok{};
  bool too_large = false;
  bool complete = reader([&](const char* data, size_t length) {
    if (body.size() + length > max_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  });
  if (too_large) {
    return Error{ErrorCode::kPayloadTooLarge,
                 "the request body is larger than 2 MiB; send a smaller body"};
  }
  if (!complete) {
    t_body_failed = true;
    return InvalidRequest("the request body did not arrive whole in time; send it again");
  }
  t_body_unread = false;
  return Ok{};
}

std::string Lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

int CurrentRequestSocket() { return t_request_fd; }

bool PeerClosed(int fd) {
  if (fd < 0) return false;
  pollfd entry{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&entry, 1, 0) <= 0) return false;
  if (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
  char byte;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

class HttpServer::Impl {
 public:
  Impl(const Router& router, HttpServerOptions options)
      : options_(options),
        pool_(kInitialThreads, options.max_threads),
        gate_(options.gate,
              [this](PendingConnection connection) { Dispatch(std::move(connection)); }) {
    server_.on_accept = [this](int fd) {
      // Without it every answer waits ~40 ms on Nagle + delayed ACK.
      int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      gate_.Add({fd, {}, {}});
    };
    server_.new_task_queue = [] { return new InlineQueue; };
    server_.set_payload_max_length(options.max_body_bytes);
    // Only advertised in Keep-Alive headers: the gate enforces the idle time.
    server_.set_keep_alive_max_count(1'000'000);
    server_.set_keep_alive_timeout(std::max<time_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(options.gate.idle).count()));
    const size_t max_body = options.max_body_bytes;
    auto refuse = [max_body](const httplib::Request& req, httplib::Response& res) {
      auto refusal = RefuseBeforeBody(req, max_body);
      if (!refusal) return false;
      SendError(res, *refusal);
      CloseIfBodyUnread(req, res);
      return true;
    };
    server_.set_pre_routing_handler([refuse](const httplib::Request& req, httplib::Response& res) {
      return refuse(req, res) ? httplib::Server::HandlerResponse::Handled
                              : httplib::Server::HandlerResponse::Unhandled;
    });
    // "Expect: 100-continue": refuse before the client sends the body at all.
    server_.set_expect_100_continue_handler(
        [refuse](const httplib::Request& req, httplib::Response& res) {
          return refuse(req, res) ? res.status : 100;
        });
    auto without_body = [&router](const httplib::Request& req, httplib::Response& res) {
      router.Dispatch(req, res);
    };
    auto with_body = [&router, max_body](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
      CloseIfBodyUnread(req, res);
      router.Dispatch(req, res,
                      [&](std::string& body) { return ReadBody(req, reader, max_body, body); });
      if (!t_body_unread) res.headers.erase("Connection");
    };
    server_.Get(".*", without_body);
    server_.Post(".*", with_body);
    server_.Put(".*", with_body);
    server_.Patch(".*", with_body);
    server_.Delete(".*", with_body);
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) SendError(res, LibraryError(res.status));
    });
    server_.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
          std::string what = "unknown";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          LogError("handler failed", {{"method", req.method}, {"path", req.path}, {"error", what}});
          SendError(
              res, Error{ErrorCode::kInternal, "flared failed to handle the request; see its log"});
        });
    server_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (!LogEnabled(LogLevel::kInfo)) return;
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() -
                                                                          t_request_start)
                        .count();
      // Only the path: query strings may carry cursors and filters, never secrets, but
      // headers (Authorization) are never logged.
      LogInfo("request", {{"method", req.method},
                          {"path", req.path},
                          {"status", res.status},
                          {"ms", static_cast<double>(micros) / 1000.0}});
    });
  }

  ~Impl() {
    Stop();
    gate_.Stop();
    pool_.Shutdown();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  Result<int> Bind(const std::string& host, int port) {
    std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                        std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
        rc != 0) {
      return Error{ErrorCode::kUnavailable,
                   "cannot listen on " + where + ": " + Lowercase(::gai_strerror(rc))};
    }
    int error = 0;
    int bound_fd = -1;
    for (addrinfo* a = found; a && bound_fd < 0; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        error = errno;
        continue;
      }
      // SO_REUSEADDR lets a restarted flared bind while old connections sit in TIME_WAIT;
      // unlike SO_REUSEPORT (cpp-httplib's default) it never lets two live listeners share
      // a port, so a second flared on a port in use fails here.
      int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
        error = errno;
        ::close(fd);
        continue;
      }
      bound_fd = fd;
    }
    ::freeaddrinfo(found);
    if (bound_fd < 0) {
      std::string hint =
          error == EADDRINUSE
              ? "; is another flared running? Stop it or pick another port with --listen"
              : "";
      return Error{ErrorCode::kUnavailable,
                   "cannot listen on " + where + ": " + Lowercase(std::strerror(error)) + hint};
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(bound_fd, reinterpret_cast<sockaddr*>(&bound), &length);
    int bound_port = bound.ss_family == AF_INET6
                         ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                         : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    std::lock_guard lock(mutex_);
    listen_fd_ = bound_fd;
    if (!stopping_) server_.UseListeningSocket(listen_fd_);
    return bound_port;
  }

  bool Serve() {
    bool served = server_.listen_after_bind();
    // Nothing new arrives now: close idle connections, cut reads of requests still
    // arriving, and let the requests being handled finish.
    gate_.Stop();
    {
      std::lock_guard lock(mutex_);
      for (int fd : active_) ::shutdown(fd, SHUT_RD);
    }
    pool_.Shutdown();
    std::lock_guard lock(mutex_);
    return served || stopping_;
  }

  void Stop() {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    // The accept loop ends when it sees no listening socket; shutdown wakes a blocked accept.
    server_.ForgetListeningSocket();
    if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  }

 private:
  // Gate thread: a whole head is in; find it a thread or answer 503.
  void Dispatch(PendingConnection connection) {
    int fd = connection.fd;
    if (pool_.TrySubmit([this, connection = std::move(connection)]() mutable {
          ServeConnection(std::move(connection));
        })) {
      return;
    }
    static const std::string kBusy =
        RawErrorResponse(503, "Service Unavailable",
                         Error{ErrorCode::kUnavailable,
                               "flared has no thread free for the request; retry in a moment"});
    auto now = SteadyClock::now();
    if (now >= next_busy_log_) {
      next_busy_log_ = now + std::chrono::seconds(1);
      LogWarn("no thread free for a request; answered 503",
              {{"max_threads", options_.max_threads}});
    }
    gate_.Refuse(fd, kBusy);
  }

  // Pool thread: the requests of one connection, as long as each next one arrives while
  // the thread waits for it (AwaitNextRequest); then the connection goes back to the gate.
  void ServeConnection(PendingConnection connection) {
    while (auto next = ServeOne(std::move(connection))) connection = std::move(*next);
  }

  // One request. Returns the connection's next request if its head is already in; otherwise
  // the connection has gone back to the gate (or been closed).
  std::optional<PendingConnection> ServeOne(PendingConnection connection) {
    int fd = connection.fd;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return std::nullopt;
      }
      active_.insert(fd);
    }
    t_request_start = SteadyClock::now();
    t_body_unread = false;
    t_body_failed = false;
    auto first_byte = connection.first_byte == SteadyClock::time_point{} ? t_request_start
                                                                         : connection.first_byte;
    DeadlineStream stream(fd, std::move(connection.buffered), first_byte + options_.request_timeout,
                          options_.write_timeout);
    bool connection_closed = false;
    t_request_fd = fd;
    bool ok = server_.ProcessRequest(stream, false, connection_closed);
    ok = stream.Flush() && ok;
    t_request_fd = -1;
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      active_.erase(fd);
      stopping = stopping_;
    }
    if (ok && t_body_unread && !t_body_failed) {
      gate_.Refuse(fd, "");  // the client may still be sending the body: drain, then close
    } else if (ok && !t_body_unread && !connection_closed && !stopping) {
      return AwaitNextRequest(fd, stream.TakeBuffered());
    } else {
      CloseSocket(fd);
    }
    return std::nullopt;
  }

  // Pool thread, between two requests of a keep-alive connection. A client that sends its
  // next request as soon as it has read an answer (a worker acking, a script creating jobs
  // one by one) usually does so within a few hundred microseconds. Waiting that long here
  // serves it on this thread, where the gate would cost two more thread wake-ups (the gate's
  // for the returning connection, a pool thread's for its next head) and two epoll_ctl
  // calls per request. The wait is a blocking poll, bounded by kStayForNextRequest, and
  // only taken while the pool has headroom, so idle connections still cost no thread and
  // can never starve other requests. Up to kMaxLongStays connections at a time wait
  // kLongStayForNextRequest instead: an application that creates a job every few
  // milliseconds on each of its connections is then served with half the thread switches
  // and a shorter tail (bench/RESULTS.md, 2026-12-07), while the threads so held stay few.
  // A head that is not whole at once (a slow client) goes to the gate with the bytes read
  // so far, which then applies its head deadline.
  std::optional<PendingConnection> AwaitNextRequest(int fd, std::string buffered) {
    if (buffered.empty() && pool_.HasHeadroom()) {
      bool long_stay = long_stays_.fetch_add(1) < kMaxLongStays;
      if (!long_stay) long_stays_.fetch_sub(1);
      auto wait = long_stay ? std::chrono::nanoseconds(kLongStayForNextRequest)
                            : std::chrono::nanoseconds(kStayForNextRequest);
      timespec stay{wait.count() / 1'000'000'000, wait.count() % 1'000'000'000};
      pollfd watch{fd, POLLIN | POLLRDHUP, 0};
      int ready = ::ppoll(&watch, 1, &stay, nullptr);
      if (long_stay) long_stays_.fetch_sub(1);
      if (ready == 1) {
        char chunk[16 * 1024];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          CloseSocket(fd);
          return std::nullopt;
        }
        if (n > 0) buffered.assign(chunk, static_cast<size_t>(n));
      }
    }
    if (HeadComplete(buffered, 0)) return PendingConnection{fd, std::move(buffered), {}};
    gate_.Add({fd, std::move(buffered), {}});
    return std::nullopt;
  }

  const HttpServerOptions options_;
  std::atomic<int> long_stays_{0};  // pool threads in a long AwaitNextRequest wait (before pool_:
                                    // its threads use it until the pool is gone)
  GatedServer server_;
  ElasticThreadPool pool_;
  ConnectionGate gate_;
  std::mutex mutex_;  // guards listen_fd_, stopping_ and active_
  int listen_fd_ = -1;
  bool stopping_ = false;
  std::unordered_set<int> active_;
  SteadyClock::time_point next_busy_log_;  // gate thread only
};

HttpServer::HttpServer(const Router& router, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(router, options)) {}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::Bind(const std::string& host, int port) { return impl_->Bind(host, port); }

bool HttpServer::Serve() { return impl_->Serve(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace flare::daemon
