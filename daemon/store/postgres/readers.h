#pragma once
// The PostgreSQL backend's read leases (store/readers.h): a session of the pool, lent with
// every resource's store over it. Reads run outside a transaction (each statement sees what
// was committed when it began) and take no locks.

#include <chrono>

#include "daemon/store/pg/pool.h"
#include "daemon/store/readers.h"

namespace flare::daemon::postgres {

class PgReaders final : public Readers {
 public:
  /// How long a read waits for a free session before it fails.
  static constexpr std::chrono::seconds kAcquireTimeout{10};

  explicit PgReaders(pg::Pool& pool) : pool_(pool) {}
  /// Throws pg::PgError when no session frees up in time or the database cannot be reached
  /// (the API answers 500 and the engines retry later).
  ReadLease Acquire() override;

 private:
  pg::Pool& pool_;
};

}  // namespace flare::daemon::postgres
