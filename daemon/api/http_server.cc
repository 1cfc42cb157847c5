#include "daemon/api/http_server.h"

#include <sys/socket.h>

#include <chrono>

#include "daemon/api/elastic_pool.h"
#include "daemon/api/http_util.h"
#include "daemon/log.h"

namespace flare::daemon {
namespace {

constexpr size_t kMaxBodyBytes = 2 * 1024 * 1024;
constexpr int kListenBacklog = 4096;

thread_local std::chrono::steady_clock::time_point t_request_start;

// Gives access to the listening socket, which the library keeps protected.
class ListeningServer : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

Error LibraryError(int status) {
  switch (status) {
    case 413:
      return Error{ErrorCode::kPayloadTooLarge, "the request body is larger than 2 MiB"};
    case 414:
      return Error{ErrorCode::kInvalidRequest, "the request URI is too long"};
    case 404:
      return Error{ErrorCode::kNotFound, "no such endpoint; see the API reference"};
    case 400:
      return Error{ErrorCode::kInvalidRequest, "the request could not be read as HTTP/1.1"};
    default:
      return Error{ErrorCode::kInternal, "flared could not handle the request"};
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const Router& router, size_t max_threads) {
    server_.new_task_queue = [max_threads] { return new ElasticThreadPool(16, max_threads); };
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1'000'000);
    server_.set_keep_alive_timeout(5);
    server_.set_read_timeout(30);
    server_.set_write_timeout(30);
    server_.set_payload_max_length(kMaxBodyBytes);
    server_.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      t_request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    auto dispatch = [&router](const httplib::Request& req, httplib::Response& res) {
      router.Dispatch(req, res);
    };
    server_.Get(".*", dispatch);
    server_.Post(".*", dispatch);
    server_.Put(".*", dispatch);
    server_.Patch(".*", dispatch);
    server_.Delete(".*", dispatch);
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) SendError(res, LibraryError(res.status));
    });
    server_.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                     std::exception_ptr error) {
      std::string what = "unknown";
      try {
        if (error) std::rethrow_exception(error);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      LogError("handler failed", {{"method", req.method}, {"path", req.path}, {"error", what}});
      SendError(res, Error{ErrorCode::kInternal, "flared failed to handle the request; see its log"});
    });
    server_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (!LogEnabled(LogLevel::kInfo)) return;
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - t_request_start)
                        .count();
      // Only the path: query strings may carry cursors and filters, never secrets, but
      // headers (Authorization) are never logged.
      LogInfo("request", {{"method", req.method},
                          {"path", req.path},
                          {"status", std::to_string(res.status)},
                          {"ms", std::to_string(static_cast<double>(micros) / 1000.0)}});
    });
  }

  ListeningServer server_;
};

HttpServer::HttpServer(const Router& router, size_t max_threads)
    : impl_(std::make_unique<Impl>(router, max_threads)) {}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::Bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = impl_->server_.bind_to_any_port(host);
    if (bound <= 0) return Error{ErrorCode::kUnavailable, "cannot listen on " + host + ":0"};
  } else if (!impl_->server_.bind_to_port(host, port)) {
    return Error{ErrorCode::kUnavailable, "cannot listen on " + host + ":" + std::to_string(port) +
                                              " (in use, or not an address of this machine)"};
  }
  if (!impl_->server_.RaiseBacklog(kListenBacklog)) {
    LogWarn("could not raise the listen backlog", {{"backlog", std::to_string(kListenBacklog)}});
  }
  return bound;
}

bool HttpServer::Serve() { return impl_->server_.listen_after_bind(); }

void HttpServer::Stop() { impl_->server_.stop(); }

}  // namespace flare::daemon
