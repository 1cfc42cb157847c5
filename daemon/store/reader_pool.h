#pragma once
// Read connections. WAL lets readers run beside the writer and see only committed data,
// so every GET takes a connection from here instead of queueing behind writes.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/readers.h"
#include "daemon/store/sqlite_stores.h"

namespace flare::daemon {

/// The SQLite backend's readers: a pool of read-only connections.
class ReaderPool final : public Readers {
 public:
  ReaderPool(std::string path, Durability durability);

  /// A connection for the caller alone until the lease ends, with every resource's store
  /// over it (`lease.jobs()`); `*lease` is the connection itself, for tests and store code.
  class Lease final : public Stores {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)), stores_(*connection_) {}
    ~Lease() override { pool_.Return(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() { return *connection_; }
    Stores* operator->() { return this; }

    JobStore& jobs() override { return stores_.jobs(); }
    RunStore& runs() override { return stores_.runs(); }
    EventStore& events() override { return stores_.events(); }
    WorkerStore& workers() override { return stores_.workers(); }
    KeyStore& keys() override { return stores_.keys(); }
    AccountStore& accounts() override { return stores_.accounts(); }
    WebhookStore& webhooks() override { return stores_.webhooks(); }
    UsageStore& usage() override { return stores_.usage(); }
    RetentionStore& retention() override { return stores_.retention(); }
    NodeStore& nodes() override { return stores_.nodes(); }
    ExportStore& exports() override { return stores_.exports(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Connection> connection_;
    SqliteStores stores_;
  };

  /// Readers: a lease on the heap, for the layers above store/.
  ReadLease Acquire() override;
  /// The same lease by value, where the connection itself is wanted.
  Lease Borrow();

 private:
  std::unique_ptr<Connection> TakeConnection();
  void Return(std::unique_ptr<Connection> connection);

  std::string path_;
  Durability durability_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace flare::daemon
