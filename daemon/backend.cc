#include "daemon/backend.h"

#include "common/encoding.h"
#include "daemon/log.h"
#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/pool.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/postgres/readers.h"
#include "daemon/store/postgres/transactions.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/writer.h"

namespace flare::daemon {
namespace {

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(const DaemonConfig& config, const Clock& clock)
      : path_(config.db_path),
        writer_(config.db_path, config.durability, clock),
        readers_(config.db_path, config.durability) {}
  Transactions& transactions() override { return writer_; }
  Readers& readers() override { return readers_; }
  bool shared() const override { return false; }
  // One node, its key file beside its database: nothing to agree with.
  Status AgreeOnWebhookKey(const std::string&) override { return Ok{}; }
  void Stop() override { writer_.Stop(); }
  std::string Describe() const override { return path_; }

 private:
  std::string path_;
  Writer writer_;
  ReaderPool readers_;
};

// What flared_settings keeps of the webhook key: a fingerprint that tells keys apart and
// reveals nothing of the key (a hash of a 32-byte random key under its own label).
std::string WebhookKeyFingerprint(const std::string& key) {
  return HexEncode(Sha256("flare webhook key fingerprint\n" + key));
}

class PostgresBackend final : public Backend {
 public:
  PostgresBackend(const DaemonConfig& config, const Clock& clock)
      : uri_(config.db_path),
        pool_(config.db_path, config.db_pool_size),
        transactions_(pool_, clock),
        readers_(pool_) {}

  /// Applies the migrations the database lacks (serialised across nodes starting at once).
  void Migrate() {
    auto session = pool_.Acquire(postgres::PgTransactions::kAcquireTimeout);
    if (!session) throw pg::PgError(pg::kConnectionFailure, "no database session came free");
    pg::MigrationOutcome outcome = pg::Migrate(**session, pg::FlareSchema());
    describe_ = (*session)->Describe();
    if (!outcome.applied.empty())
      LogInfo("database schema upgraded", {{"version", outcome.version}});
  }

  Transactions& transactions() override { return transactions_; }
  Readers& readers() override { return readers_; }
  bool shared() const override { return true; }
  std::string postgres_uri() const override { return uri_; }

  Status AgreeOnWebhookKey(const std::string& key) override {
    auto session = pool_.Acquire(postgres::PgTransactions::kAcquireTimeout);
    if (!session) return Error{ErrorCode::kUnavailable, "no database session came free"};
    std::string mine = WebhookKeyFingerprint(key);
    // The first node records its key's fingerprint; every later one must match it.
    (*session)->Exec(
        "INSERT INTO flare_settings (name, value) VALUES ('webhook_key_fingerprint', $1) "
        "ON CONFLICT (name) DO NOTHING",
        mine);
    pg::PgResult recorded =
        (*session)->Exec("SELECT value FROM flare_settings WHERE name = 'webhook_key_fingerprint'");
    if (recorded.Text(0, 0) == mine) return Ok{};
    return Error{ErrorCode::kConflict,
                 "this node's webhook key is not the one the other nodes of this database use, "
                 "so it could not read the webhook secrets they stored; give every node the "
                 "same key: start it with --webhook-key-file pointing at a copy of the first "
                 "node's <data-dir>/webhook.key"};
  }

  void Stop() override { transactions_.Stop(); }
  std::string Describe() const override { return describe_; }

 private:
  std::string uri_;
  pg::Pool pool_;
  postgres::PgTransactions transactions_;
  postgres::PgReaders readers_;
  std::string describe_;
};

}  // namespace

Result<std::unique_ptr<Backend>> OpenBackend(const DaemonConfig& config, const Clock& clock) {
  if (!IsPostgresUri(config.db_path))
    return std::unique_ptr<Backend>(std::make_unique<SqliteBackend>(config, clock));
  try {
    auto backend = std::make_unique<PostgresBackend>(config, clock);
    backend->Migrate();
    return std::unique_ptr<Backend>(std::move(backend));
  } catch (const pg::PgError& e) {
    return Error{ErrorCode::kUnavailable,
                 std::string("cannot open the PostgreSQL database: ") + e.what()};
  }
}

}  // namespace flare::daemon
