#pragma once
// How services read, whichever backend holds the data: a read lease is every resource's
// store over a connection lent to the caller alone until the lease ends (SQLite: a
// read-only connection of the pool, which WAL lets read beside the writer).

#include <memory>

#include "daemon/store/stores.h"

namespace flare::daemon {

/// `reader->jobs().Find(…)`; the connection goes back when the lease is destroyed.
using ReadLease = std::unique_ptr<Stores>;

class Readers {
 public:
  virtual ~Readers() = default;
  virtual ReadLease Acquire() = 0;
};

}  // namespace flare::daemon
