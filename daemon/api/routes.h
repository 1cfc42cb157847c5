#pragma once
// One function per resource adds its routes to the router.

#include "daemon/api/router.h"

namespace flare::daemon {

class JobService;
class Dispatcher;
class WorkerService;
class RunService;
class WebhookService;
class AccountService;
class ApiKeyService;
class MetricsService;
class UsageService;
class EventLogService;
class ExportService;
class StreamSlots;
struct StreamOptions;

void AddHealthRoutes(Router& router);
void AddJobRoutes(Router& router, JobService& jobs);
void AddRunRoutes(Router& router, RunService& runs);
void AddWorkerRoutes(Router& router, WorkerService& workers, Dispatcher& dispatcher);
void AddWebhookRoutes(Router& router, WebhookService& webhooks);
void AddAccountRoutes(Router& router, AccountService& accounts, Authenticator& auth);
void AddApiKeyRoutes(Router& router, ApiKeyService& keys, Authenticator& auth);
void AddMetricsRoutes(Router& router, MetricsService& metrics);
void AddUsageRoutes(Router& router, UsageService& usage);
void AddEventRoutes(Router& router, EventLogService& events, JobService& jobs, StreamSlots& slots,
                    StreamOptions options);
void AddExportRoutes(Router& router, ExportService& exports);

}  // namespace flare::daemon
