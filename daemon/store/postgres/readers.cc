#include "daemon/store/postgres/readers.h"

#include "daemon/store/pg/error.h"
#include "daemon/store/postgres/stores.h"

namespace flare::daemon::postgres {
namespace {

// The stores over a leased session; the session goes back to the pool with this object.
class ReadSession final : public Stores {
 public:
  explicit ReadSession(pg::Pool::Lease lease)
      : lease_(std::move(lease)), stores_(Session{*lease_, nullptr}) {}
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
  pg::Pool::Lease lease_;  // before stores_, which hold its session
  PgStores stores_;
};

}  // namespace

ReadLease PgReaders::Acquire() {
  std::optional<pg::Pool::Lease> lease = pool_.Acquire(kAcquireTimeout);
  if (!lease) throw pg::PgError(pg::kConnectionFailure, "every database session is busy");
  return std::make_unique<ReadSession>(std::move(*lease));
}

}  // namespace flare::daemon::postgres
