#pragma once
// One function per resource adds its routes to the router.

#include "daemon/api/router.h"

namespace flare::daemon {

class JobService;
class Dispatcher;
class WorkerService;

void AddHealthRoutes(Router& router);
void AddJobRoutes(Router& router, JobService& jobs);
void AddWorkerRoutes(Router& router, WorkerService& workers, Dispatcher& dispatcher);

}  // namespace flare::daemon
