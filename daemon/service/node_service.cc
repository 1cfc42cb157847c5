#include "daemon/service/node_service.h"

#include "daemon/store/node_store.h"

namespace flare::daemon {

Status NodeService::Join() {
  return ctx_.writer.Run<Ok>([&](Tx& tx) -> Status {
    if (!node_.shares_database) tx.nodes().StopOthers(node_.id, tx.now());
    if (!node_.predecessor.empty()) tx.nodes().Stop(node_.predecessor, tx.now());
    tx.nodes().DeleteStoppedIdle();
    tx.nodes().Insert({node_.id, tx.now(), tx.now(), std::nullopt});
    return Ok{};
  });
}

Status NodeService::Leave() {
  return ctx_.writer.Run<Ok>([&](Tx& tx) -> Status {
    tx.nodes().Stop(node_.id, tx.now());
    return Ok{};
  });
}

}  // namespace flare::daemon
