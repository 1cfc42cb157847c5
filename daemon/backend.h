#pragma once
// The database flared runs on, chosen by --db: the embedded SQLite file (one node: the
// single writer with its group commit, and a pool of read-only connections) or a
// PostgreSQL database that several flared nodes share (a pool of sessions, a transaction
// per operation). Everything above sees only the storage port: Transactions and Readers.

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "daemon/config.h"
#include "daemon/store/readers.h"
#include "daemon/store/transactions.h"

namespace flare::daemon {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Transactions& transactions() = 0;
  virtual Readers& readers() = 0;
  /// Other flared nodes may use the database at the same time (PostgreSQL).
  virtual bool shared() const = 0;
  /// The PostgreSQL URI nodes listen on for each other's wake-ups; empty for SQLite.
  virtual std::string postgres_uri() const { return ""; }
  /// Checks that this node encrypts webhook secrets with the same key as every other node
  /// of the database (recording the key's fingerprint when it is the first). An error that
  /// says what to do when the keys differ.
  virtual Status AgreeOnWebhookKey(const std::string& key) = 0;
  /// Refuses writes from now on (after the engines stopped); queued ones still finish.
  virtual void Stop() = 0;
  /// What the start log names: the SQLite file, or host:port/database (never a password).
  virtual std::string Describe() const = 0;
};

/// Opens the database `config.db_path` names, creating or upgrading its schema.
Result<std::unique_ptr<Backend>> OpenBackend(const DaemonConfig& config, const Clock& clock);

}  // namespace flare::daemon
