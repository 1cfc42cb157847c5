// `flarectl webhooks …`: endpoints that receive signed job events (SPEC §7). create, list,
// get, update, delete, test, rotate-secret, deliveries — and verify, which checks a
// delivery a receiver got (offline, with the secret), so users can debug their receiver.

#include <chrono>
#include <sstream>

#include "cli/commands/command.h"
#include "cli/payload.h"
#include "common/webhook_signing.h"

namespace flare::cli {
namespace {

const char* kWebhooks = "/flare/v1/webhooks";

const std::vector<Column> kWebhookList = {
    {"ID", "id"},
    {"URL", "url"},
    {"EVENTS", "events", CellKind::kJson},
    {"ENABLED", "enabled"},
    {"CREATED", "created_at", CellKind::kTime},
};

const std::vector<Column> kWebhookDetail = {
    {"id", "id"},
    {"url", "url"},
    {"events", "events", CellKind::kJson},
    {"description", "description"},
    {"enabled", "enabled"},
    {"disabled_reason", "disabled_reason"},
    {"previous_secret_expires_at", "previous_secret_expires_at", CellKind::kTime},
    {"created_at", "created_at", CellKind::kTime},
    {"updated_at", "updated_at", CellKind::kTime},
};

const std::vector<Column> kDeliveryList = {
    {"ID", "id"},
    {"EVENT", "event_type"},
    {"STATUS", "status"},
    {"ATTEMPTS", "attempts"},
    {"CODE", "response_code"},
    {"LATENCY MS", "latency_ms"},
    {"NEXT ATTEMPT", "next_attempt_at", CellKind::kTime},
    {"CREATED", "created_at", CellKind::kTime},
};

const std::vector<Column> kDeliveryDetail = {
    {"id", "id"},
    {"webhook_id", "webhook_id"},
    {"event_type", "event_type"},
    {"status", "status"},
    {"attempts", "attempts"},
    {"response_code", "response_code"},
    {"latency_ms", "latency_ms"},
    {"last_error", "last_error"},
    {"next_attempt_at", "next_attempt_at", CellKind::kTime},
    {"created_at", "created_at", CellKind::kTime},
    {"completed_at", "completed_at", CellKind::kTime},
};

// The endpoint plus its secret, which the API shows only in this one answer.
void PrintWithSecret(Context& ctx, const nlohmann::json& webhook) {
  std::vector<Column> columns = kWebhookDetail;
  columns.insert(columns.begin() + 1, {"secret", "secret"});
  ctx.printer().Object(webhook, columns);
  ctx.Note("the secret is shown only now: store it where your receiver can read it");
}

struct BodyFlags {
  std::string url, description;
  std::vector<std::string> events;
  void Add(CLI::App* cmd) {
    cmd->add_option("--url", url, "Where deliveries are POSTed (http:// or https://)");
    cmd->add_option("--event", events,
                    "job.completed, job.failed, job.dead_letter, job.cancelled, run.started or * "
                    "(repeatable)");
    cmd->add_option("--description", description, "What the endpoint is for");
  }
  nlohmann::json Build() const {
    nlohmann::json body = nlohmann::json::object();
    if (!url.empty()) body["url"] = url;
    if (!events.empty()) body["events"] = events;
    if (!description.empty()) body["description"] = description;
    return body;
  }
};

void AddWebhookCreate(CLI::App& webhooks, Context& ctx) {
  auto* cmd =
      webhooks.add_subcommand("create", "Add an endpoint (its signing secret is shown once)");
  auto flags = std::make_shared<BodyFlags>();
  flags->Add(cmd);
  cmd->get_option("--url")->required();
  OnRun(cmd, ctx, [&ctx, flags] {
    nlohmann::json body = flags->Build();
    if (!body.contains("events")) body["events"] = {"*"};
    PrintWithSecret(ctx, ctx.api().Call("POST", kWebhooks, body));
    return kExitOk;
  });
}

void AddWebhookList(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand("list", "List endpoints, newest first");
  auto page = std::make_shared<PageOptions>();
  AddPageFlags(cmd, *page);
  OnRun(cmd, ctx, [&ctx, page] { return PrintList(ctx, kWebhooks, {}, *page, kWebhookList); });
}

void AddWebhookGet(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand("get", "Show one endpoint");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Webhook id (wh_…)")->required();
  OnRun(cmd, ctx, [&ctx, id] {
    ctx.printer().Object(ctx.api().Call("GET", ItemPath(kWebhooks, *id)), kWebhookDetail);
    return kExitOk;
  });
}

void AddWebhookUpdate(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand("update", "Change an endpoint (only the given fields)");
  auto id = std::make_shared<std::string>();
  auto flags = std::make_shared<BodyFlags>();
  auto enable = std::make_shared<bool>(false);
  auto disable = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "Webhook id (wh_…)")->required();
  flags->Add(cmd);
  auto* on = cmd->add_flag("--enable", *enable, "Deliver again (clears the disabled reason)");
  cmd->add_flag("--disable", *disable, "Stop delivering")->excludes(on);
  OnRun(cmd, ctx, [&ctx, id, flags, enable, disable] {
    nlohmann::json body = flags->Build();
    if (*enable || *disable) body["enabled"] = *enable;
    if (body.empty())
      throw UsageError("nothing to update",
                       "give --url, --event, --description, --enable or --disable");
    ctx.printer().Object(ctx.api().Call("PATCH", ItemPath(kWebhooks, *id), body), kWebhookDetail);
    return kExitOk;
  });
}

void AddWebhookDelete(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand("delete", "Delete an endpoint and its deliveries");
  auto id = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "Webhook id (wh_…)")->required();
  cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  OnRun(cmd, ctx, [&ctx, id, yes] {
    ctx.ConfirmOrThrow("delete webhook " + *id + "?", *yes);
    ctx.api().Call("DELETE", ItemPath(kWebhooks, *id));
    if (ctx.settings().output == OutputFormat::kId) ctx.io().out() << *id << '\n';
    ctx.Note("deleted webhook " + *id);
    return kExitOk;
  });
}

void AddWebhookTest(CLI::App& webhooks, Context& ctx) {
  auto* cmd =
      webhooks.add_subcommand("test", "Send a webhook.test delivery now and show how it went");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Webhook id (wh_…)")->required();
  OnRun(cmd, ctx, [&ctx, id] {
    auto delivery = ctx.api().Call("POST", ItemPath(kWebhooks, *id) + "/test");
    ctx.printer().Object(delivery, kDeliveryDetail);
    return delivery.value("status", "") == "succeeded" ? kExitOk : kExitError;
  });
}

void AddWebhookRotate(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand(
      "rotate-secret", "New signing secret; the old one also signs until the overlap ends");
  auto id = std::make_shared<std::string>();
  auto overlap = std::make_shared<int64_t>(-1);
  cmd->add_option("id", *id, "Webhook id (wh_…)")->required();
  cmd->add_option("--overlap-seconds", *overlap,
                  "How long the old secret still signs (default 86400; 0 = not at all)");
  OnRun(cmd, ctx, [&ctx, id, overlap] {
    nlohmann::json body = nlohmann::json::object();
    if (*overlap >= 0) body["overlap_seconds"] = *overlap;
    PrintWithSecret(ctx, ctx.api().Call("POST", ItemPath(kWebhooks, *id) + "/rotate-secret", body));
    return kExitOk;
  });
}

void AddWebhookDeliveries(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand("deliveries", "List an endpoint's deliveries, newest first");
  auto id = std::make_shared<std::string>();
  auto page = std::make_shared<PageOptions>();
  cmd->add_option("id", *id, "Webhook id (wh_…)")->required();
  AddPageFlags(cmd, *page);
  OnRun(cmd, ctx, [&ctx, id, page] {
    return PrintList(ctx, ItemPath(kWebhooks, *id) + "/deliveries", {}, *page, kDeliveryList);
  });
}

// "Name: value" lines (a raw request dump; the request line and other headers are skipped).
void ReadHeaderFile(const std::string& text, std::string& id, std::string& timestamp,
                    std::string& signature) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (name == "webhook-id" && id.empty()) id = value;
    if (name == "webhook-timestamp" && timestamp.empty()) timestamp = value;
    if (name == "webhook-signature" && signature.empty()) signature = value;
  }
}

void AddWebhookVerify(CLI::App& webhooks, Context& ctx) {
  auto* cmd = webhooks.add_subcommand(
      "verify", "Check a received delivery's signature offline (exit 0 when valid)");
  struct Args {
    std::string secret, id, timestamp, signature, headers, body;
    int64_t tolerance = 300;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--secret", args->secret, "The endpoint's whsec_… secret")
      ->envname("FLARE_WEBHOOK_SECRET")
      ->required();
  cmd->add_option("--id", args->id, "The webhook-id header");
  cmd->add_option("--timestamp", args->timestamp, "The webhook-timestamp header");
  cmd->add_option("--signature", args->signature, "The webhook-signature header");
  cmd->add_option("--headers", args->headers, "A file with the raw request headers instead");
  cmd->add_option("--body", args->body, "The raw body as received (a file, or - for stdin)")
      ->required();
  cmd->add_option("--tolerance", args->tolerance, "Seconds a timestamp may be off (default 300)");
  OnRun(cmd, ctx, [&ctx, args] {
    if (!args->headers.empty())
      ReadHeaderFile(ReadFileText(args->headers, ctx.io().in()), args->id, args->timestamp,
                     args->signature);
    if (args->id.empty() || args->timestamp.empty() || args->signature.empty()) {
      throw UsageError("webhook-id, webhook-timestamp and webhook-signature are all needed",
                       "give --id, --timestamp and --signature, or --headers FILE");
    }
    std::string body = ReadFileText(args->body, ctx.io().in());
    int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(ctx.Now().time_since_epoch()).count();
    Status verified = VerifyWebhook(args->secret, args->id, args->timestamp, args->signature, body,
                                    now, std::chrono::seconds(args->tolerance));
    if (!verified) throw CliError(kExitError, "invalid_signature", verified.error().message);
    ctx.io().out() << "valid: the signature matches (webhook-id " << args->id << ")\n";
    return kExitOk;
  });
}

}  // namespace

void AddWebhooksCommands(CLI::App& webhooks, Context& ctx) {
  AddWebhookCreate(webhooks, ctx);
  AddWebhookList(webhooks, ctx);
  AddWebhookGet(webhooks, ctx);
  AddWebhookUpdate(webhooks, ctx);
  AddWebhookDelete(webhooks, ctx);
  AddWebhookTest(webhooks, ctx);
  AddWebhookRotate(webhooks, ctx);
  AddWebhookDeliveries(webhooks, ctx);
  AddWebhookVerify(webhooks, ctx);
}

}  // namespace flare::cli
