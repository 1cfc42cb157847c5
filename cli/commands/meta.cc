// Commands about flarectl itself: version, help TOPIC|COMMAND, completion SHELL, __man.

#include "cli/command_tree.h"
#include "cli/commands/command.h"
#include "cli/help_topics.h"
#include "flare/version.h"

namespace flare::cli {
namespace {

const CLI::App& Root(const CLI::App& app) {
  const CLI::App* current = &app;
  while (current->get_parent() != nullptr) current = current->get_parent();
  return *current;
}

/// The daemon's {status, version}, or null when it cannot be reached.
nlohmann::json DaemonHealth(Context& ctx) {
  HttpRequest request;
  request.path = "/healthz";
  auto response = ctx.api().Send(request);
  if (!response.ok() || response->status != 200) return nullptr;
  return response->Json();
}

}  // namespace

void AddVersionCommand(CLI::App& version, Context& ctx) {
  OnRun(&version, ctx, [&ctx] {
    nlohmann::json health = DaemonHealth(ctx);
    nlohmann::json view = {{"client", kVersion},
                           {"server", health.is_object() ? health.value("version", "") : ""},
                           {"base_url", ctx.settings().base_url}};
    if (ctx.settings().output != OutputFormat::kTable) {
      ctx.printer().Object(view, {});
      return kExitOk;
    }
    ctx.io().out() << "flarectl " << kVersion << '\n';
    if (health.is_object()) {
      ctx.io().out() << "flared " << health.value("version", "?") << " at "
                     << ctx.settings().base_url << '\n';
    } else {
      ctx.Note("flared: not reachable at " + ctx.settings().base_url);
    }
    return kExitOk;
  });
}

void AddHelpCommand(CLI::App& help, Context& ctx) {
  auto words = std::make_shared<std::vector<std::string>>();
  help.add_option("topic", *words, "environment, exit-codes, output, worker, or a command");
  OnRun(&help, ctx, [&ctx, &help, words] {
    std::string joined;
    for (const auto& word : *words) joined += (joined.empty() ? "" : " ") + word;
    if (const HelpTopic* topic = FindHelpTopic(joined)) {
      ctx.io().out() << topic->text;
      return kExitOk;
    }
    const CLI::App* command = &Root(help);
    for (const auto& word : *words) {
      const CLI::App* next = nullptr;
      for (const CLI::App* child : command->get_subcommands([](const CLI::App*) { return true; })) {
        if (child->get_name() == word) next = child;
      }
      if (next == nullptr) {
        throw UsageError("no help topic or command '" + joined + "'",
                         "topics: environment, exit-codes, output, worker");
      }
      command = next;
    }
    ctx.io().out() << command->help();
    return kExitOk;
  });
}

void AddCompletionCommand(CLI::App& completion, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  completion.add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion.footer(
      "Install: flarectl completion bash > ~/.local/share/bash-completion/completions/flarectl");
  OnRun(&completion, ctx, [&ctx, &completion, shell] {
    auto tree = WalkCommands(Root(completion));
    if (*shell == "bash") ctx.io().out() << BashCompletion(tree);
    if (*shell == "zsh") ctx.io().out() << ZshCompletion(tree);
    if (*shell == "fish") ctx.io().out() << FishCompletion(tree);
    return kExitOk;
  });
}

void AddManCommand(CLI::App& man, Context& ctx) {
  OnRun(&man, ctx, [&ctx, &man] {
    ctx.io().out() << ManPage(WalkCommands(Root(man)));
    return kExitOk;
  });
}

}  // namespace flare::cli
