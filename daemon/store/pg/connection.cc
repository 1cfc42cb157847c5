#include "daemon/store/pg/connection.h"

#include <poll.h>

#include <cerrno>

#include "daemon/log.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/write_merging.h"

namespace flare::daemon::pg {
namespace {

// libpq's message without its trailing newline.
std::string Trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// `message` with every occurrence of `secret` replaced (a password quoted back by a parse
// error, the whole URI).
std::string Without(std::string message, const std::string& secret) {
  if (secret.empty()) return message;
  for (size_t at = message.find(secret); at != std::string::npos;
       at = message.find(secret, at + 5)) {
    message.replace(at, secret.size(), "*****");
  }
  return message;
}

// The userinfo of a postgresql:// URI ("user:password"), which may hold the password.
std::string UserInfo(const std::string& uri) {
  size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return "";
  size_t start = scheme + 3;
  size_t at = uri.find('@', start);
  size_t slash = uri.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return "";
  return uri.substr(start, at - start);
}

// The message of a failed connection attempt, without anything the URI may have carried.
std::string ScrubbedConnectError(const char* libpq_message, const std::string& uri) {
  std::string message = Trimmed(libpq_message);
  std::string userinfo = UserInfo(uri);
  size_t colon = userinfo.find(':');
  if (colon != std::string::npos) message = Without(message, userinfo.substr(colon + 1));
  message = Without(message, uri);
  // A key=value string may say password=…; take no chances with what libpq quotes back.
  size_t password = message.find("password=");
  if (password != std::string::npos) message.erase(password + 9);
  return message;
}

void LogNotice(void* /*context*/, const char* message) {
  LogDebug("postgres notice", {{"message", Trimmed(message)}});
}

// The parameters as libpq takes them: text pointers, null for SQL NULL.
std::vector<const char*> TextsOf(const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& param : params) values.push_back(param.c_str());
  return values;
}

}  // namespace

Connection::Connection(const std::string& uri, std::chrono::seconds connect_timeout) {
  // The URI is expanded from "dbname" (expand_dbname = 1) and comes after our defaults, so
  // anything it sets (connect_timeout, application_name) wins over them.
  std::string timeout = std::to_string(connect_timeout.count());
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "flared", uri.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn_) throw PgError(kConnectionFailure, "PostgreSQL: out of memory while connecting");
  // libpq prints server notices (and the FATAL of a session killed while idle) on stderr;
  // flared's output is its structured log.
  PQsetNoticeProcessor(conn_.get(), LogNotice, nullptr);
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw PgError(kConnectionFailure, "PostgreSQL connection failed: " +
                                          ScrubbedConnectError(PQerrorMessage(conn_.get()), uri));
  }
  Exec("SET synchronous_commit TO on");
}

PgResult Connection::Checked(PGresult* raw, std::string_view what) {
  PgResult result(raw);
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  // PGRES_EMPTY_QUERY: a script of only comments or whitespace, which did nothing.
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return result;
  }
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = raw ? Trimmed(PQresultErrorMessage(raw)) : "";
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_.get()));
  // libpq reports a lost connection without a SQLSTATE; give it the standard one.
  std::string sqlstate = state ? state : "";
  if (sqlstate.empty() && PQstatus(conn_.get()) == CONNECTION_BAD) sqlstate = kConnectionFailure;
  throw PgError(sqlstate, std::string(what) + ": " + message);
}

PgResult Connection::ExecParams(std::string_view sql, const std::vector<PgParam>& params) {
  if (deferred_.empty()) return ExecAlone(std::string(sql), params);
  Statement last{std::string(sql), params};
  std::optional<PgResult> answer = ExecPipelined(&last);
  if (!answer) throw PgError(kConnectionFailure, "PostgreSQL: a pipelined statement had no answer");
  return std::move(*answer);
}

PgResult Connection::ExecAlone(const std::string& sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values = TextsOf(params);
  const std::string* name = PreparedName(sql, static_cast<int>(values.size()));
  if (!name) {
    return Checked(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                                /*paramFormats=*/nullptr, /*resultFormat=*/0),
                   "PostgreSQL statement failed");
  }
  return Checked(PQexecPrepared(conn_.get(), name->c_str(), static_cast<int>(values.size()),
                                values.data(), /*paramLengths=*/nullptr,
                                /*paramFormats=*/nullptr, /*resultFormat=*/0),
                 "PostgreSQL statement failed");
}

void Connection::DeferParams(std::string_view sql, std::vector<PgParam> params) {
  deferred_.push_back({std::string(sql), std::move(params)});
  if (deferred_.size() >= kMaxDeferred) FlushDeferred();
}

void Connection::FlushDeferred() {
  if (!deferred_.empty()) ExecPipelined(nullptr);
}

const ColumnTypes* Connection::ColumnTypesOf(const std::string& table) {
  auto known = column_types_.find(table);
  if (known == column_types_.end()) {
    ColumnTypes types;
    PgResult rows = ExecAlone(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
        {PgParam(table)});
    for (int row = 0; row < rows.rows(); ++row) types.emplace(rows.Text(row, 0), rows.Text(row, 1));
    known = column_types_.emplace(table, std::move(types)).first;
  }
  return known->second.empty() ? nullptr : &known->second;
}

void Connection::SendInPipeline(const Statement& statement) {
  std::vector<const char*> values = TextsOf(statement.params);
  int count = static_cast<int>(values.size());
  auto prepared = prepared_.find(statement.sql);
  int sent = prepared != prepared_.end()
                 ? PQsendQueryPrepared(conn_.get(), prepared->second.c_str(), count, values.data(),
                                       nullptr, nullptr, /*resultFormat=*/0)
                 : PQsendQueryParams(conn_.get(), statement.sql.c_str(), count, nullptr,
                                     values.data(), nullptr, nullptr, /*resultFormat=*/0);
  if (sent != 1) {
    throw PgError(kConnectionFailure, "PostgreSQL: could not send a statement: " +
                                          Trimmed(PQerrorMessage(conn_.get())));
  }
}

std::optional<PgResult> Connection::ExecPipelined(const Statement* last) {
  std::vector<Statement> batch = MergeWrites(
      std::move(deferred_), [this](const std::string& table) { return ColumnTypesOf(table); });
  deferred_.clear();
  if (last) batch.push_back(*last);
  // Prepared first: PQprepare waits for its answer, which pipeline mode does not allow.
  for (const Statement& statement : batch)
    PreparedName(statement.sql, static_cast<int>(statement.params.size()));
  if (PQenterPipelineMode(conn_.get()) != 1) {
    throw PgError(kConnectionFailure, "PostgreSQL: could not enter pipeline mode: " +
                                          Trimmed(PQerrorMessage(conn_.get())));
  }
  std::optional<PgError> failure;
  size_t sent = 0;
  try {
    for (const Statement& statement : batch) {
      SendInPipeline(statement);
      ++sent;
    }
  } catch (const PgError& error) {
    failure = error;
  }
  if (PQpipelineSync(conn_.get()) != 1 && !failure) {
    failure = PgError(kConnectionFailure, "PostgreSQL: could not send a pipeline: " +
                                              Trimmed(PQerrorMessage(conn_.get())));
  }
  // Every statement answers with its result and then a null; the sync answers last. A
  // statement after a failed one answers PGRES_PIPELINE_ABORTED (the server skipped it).
  // The nulls are counted so that a connection that breaks half-way cannot loop here.
  std::optional<PgResult> answer;
  size_t answered = 0, nulls = 0;
  for (;;) {
    PGresult* raw = PQgetResult(conn_.get());
    if (!raw) {
      if (PQstatus(conn_.get()) == CONNECTION_BAD || ++nulls > sent + 1) {
        if (!failure) {
          failure = PgError(kConnectionFailure, "PostgreSQL: the connection ended mid-pipeline: " +
                                                    Trimmed(PQerrorMessage(conn_.get())));
        }
        break;
      }
      continue;
    }
    ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(raw);
      break;
    }
    size_t index = answered++;
    if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(raw);
      continue;
    }
    try {
      PgResult result = Checked(raw, "PostgreSQL statement failed");
      if (last && index + 1 == batch.size()) answer = std::move(result);
    } catch (const PgError& error) {
      if (!failure) failure = error;
    }
  }
  PQexitPipelineMode(conn_.get());
  if (failure) throw *failure;
  return answer;
}

const std::string* Connection::PreparedName(const std::string& sql, int params) {
  if (auto found = prepared_.find(sql); found != prepared_.end()) return &found->second;
  // SQL built around values would fill the cache without ever being reused; the stores only
  // build SQL from a few fixed variants, so a full cache means something else: stop adding.
  if (prepared_.size() >= kMaxPreparedStatements) return nullptr;
  std::string name = "flare_" + std::to_string(prepared_.size());
  Checked(PQprepare(conn_.get(), name.c_str(), sql.c_str(), params, /*paramTypes=*/nullptr),
          "PostgreSQL could not prepare a statement");
  return &prepared_.emplace(sql, std::move(name)).first->second;
}

void Connection::ExecScript(std::string_view sql) {
  FlushDeferred();
  std::string text(sql);
  Checked(PQexec(conn_.get(), text.c_str()), "PostgreSQL script failed");
}

void Connection::Listen(std::string_view channel) {
  char* quoted = PQescapeIdentifier(conn_.get(), channel.data(), channel.size());
  if (!quoted) throw PgError(kClientMisuse, "LISTEN: channel name cannot be quoted");
  std::string sql = std::string("LISTEN ") + quoted;
  PQfreemem(quoted);
  Exec(sql);
}

void Connection::Notify(std::string_view channel, std::string_view payload) {
  Exec("SELECT pg_notify($1, $2)", channel, payload);
}

std::optional<Notification> Connection::NextQueuedNotification() {
  PGnotify* raw = PQnotifies(conn_.get());
  if (!raw) return std::nullopt;
  Notification notification{raw->relname, raw->extra ? raw->extra : "", raw->be_pid};
  PQfreemem(raw);
  return notification;
}

std::optional<Notification> Connection::WaitForNotification(std::chrono::milliseconds timeout,
                                                            int interrupt_fd) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  // Each pass sleeps in poll until data arrives or the deadline passes, so the loop ends at
  // the deadline; the pass count is bounded by the messages the server sends meanwhile.
  for (;;) {
    if (PQconsumeInput(conn_.get()) == 0) {
      throw PgError(kConnectionFailure, "PostgreSQL connection lost while waiting for NOTIFY: " +
                                            Trimmed(PQerrorMessage(conn_.get())));
    }
    if (auto notification = NextQueuedNotification()) return notification;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fds[2] = {{PQsocket(conn_.get()), POLLIN, 0}, {interrupt_fd, POLLIN, 0}};
    if (fds[0].fd < 0) throw PgError(kConnectionFailure, "PostgreSQL connection has no socket");
    int ready = poll(fds, interrupt_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      throw PgError(kConnectionFailure, "poll on the PostgreSQL socket failed");
    }
    if (interrupt_fd >= 0 && (fds[1].revents & POLLIN) != 0) return std::nullopt;
  }
}

bool Connection::IsBroken() {
  if (PQstatus(conn_.get()) == CONNECTION_BAD) return true;
  // Not inside a running query (PQTRANS_ACTIVE): what arrives belongs to its result.
  if (PQtransactionStatus(conn_.get()) == PQTRANS_ACTIVE) return false;
  // Reads what the server already sent, without waiting: a session it closed has a FATAL
  // (pg_terminate_backend, shutdown) and then the end of the stream. One PQconsumeInput
  // reads the FATAL; only a further read sees the end and marks the session CONNECTION_BAD,
  // so read while the socket stays readable (a few times at most: a live idle session has
  // nothing to read but the odd notification).
  for (int read = 0; read < 4; ++read) {
    pollfd socket{PQsocket(conn_.get()), POLLIN, 0};
    if (socket.fd < 0 || poll(&socket, 1, /*timeout_ms=*/0) <= 0) break;
    if (PQconsumeInput(conn_.get()) == 0) break;
  }
  return PQstatus(conn_.get()) == CONNECTION_BAD;
}

bool Connection::InTransaction() const {
  PGTransactionStatusType status = PQtransactionStatus(conn_.get());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

std::string Connection::Describe() const {
  return std::string(PQhost(conn_.get())) + ":" + PQport(conn_.get()) + "/" + PQdb(conn_.get());
}

}  // namespace flare::daemon::pg
