#pragma once
// Read connections. WAL lets readers run beside the writer and see only committed data,
// so every GET takes a connection from here instead of queueing behind writes.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/sqlite_stores.h"

namespace flare::daemon {

class ReaderPool {
 public:
  ReaderPool(std::string path, Durability durability);

  /// A connection for the caller alone until the lease ends. `reader->jobs()` and the like
  /// are the storage port's stores over it (stores.h); `*reader` is the connection itself,
  /// for the code not yet moved behind the port.
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)), stores_(*connection_) {}
    ~Lease() { pool_.Return(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() { return *connection_; }
    Stores* operator->() { return &stores_; }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Connection> connection_;
    SqliteStores stores_;
  };

  Lease Acquire();

 private:
  void Return(std::unique_ptr<Connection> connection);

  std::string path_;
  Durability durability_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace flare::daemon
