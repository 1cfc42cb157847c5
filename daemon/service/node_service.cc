#include "daemon/service/node_service.h"

#include "daemon/store/node_repository.h"

namespace flare::daemon {

Status NodeService::Join() {
  return ctx_.writer.Run<Ok>([&](Tx& tx) -> Status {
    if (!node_.shares_database) StopOtherNodes(tx.conn(), node_.id, tx.now());
    DeleteStoppedIdleNodes(tx.conn());
    InsertNode(tx.conn(), {node_.id, tx.now(), tx.now(), std::nullopt});
    return Ok{};
  });
}

Status NodeService::Leave() {
  return ctx_.writer.Run<Ok>([&](Tx& tx) -> Status {
    StopNode(tx.conn(), node_.id, tx.now());
    return Ok{};
  });
}

}  // namespace flare::daemon
