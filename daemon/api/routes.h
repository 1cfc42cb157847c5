#pragma once
// One function per resource adds its routes to the router.

#include "daemon/api/router.h"

namespace flare::daemon {

class JobService;
class Dispatcher;
class WorkerService;
class RunService;
class EventLogService;
class ExportService;
class StreamSlots;
struct StreamOptions;

void AddHealthRoutes(Router& router);
void AddJobRoutes(Router& router, JobService& jobs);
void AddRunRoutes(Router& router, RunService& runs);
void AddWorkerRoutes(Router& router, WorkerService& workers, Dispatcher& dispatcher);
void AddEventRoutes(Router& router, EventLogService& events, JobService& jobs,
                    StreamSlots& slots, StreamOptions options);
void AddExportRoutes(Router& router, ExportService& exports);

}  // namespace flare::daemon
