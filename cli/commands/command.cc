#include "cli/commands/command.h"

namespace flare::cli {

void OnRun(CLI::App* command, Context& ctx, std::function<int()> run) {
  command->callback([&ctx, run = std::move(run)] {
    if (ctx.flags().no_color || ctx.env().Has("NO_COLOR")) ctx.io().DisableColor();
    ctx.set_exit_code(run());
  });
}

void AddPageFlags(CLI::App* command, PageOptions& page) {
  command->add_option("--limit", page.limit, "Items per page (1-100)")->check(CLI::Range(1, 100));
  command->add_option("--cursor", page.cursor, "Start at this cursor (from next_cursor)");
  command->add_flag("--all", page.all, "Follow next_cursor until the last page");
}

int PrintList(Context& ctx, const std::string& path, const Query& query, const PageOptions& page,
              const std::vector<Column>& columns) {
  auto on_page = [&ctx, &page](size_t count) {
    if (page.all) ctx.Progress("fetched " + std::to_string(count) + " items...");
  };
  nlohmann::json list = ctx.api().List(path, query, page, on_page);
  ctx.printer().List(list, columns);
  if (!page.all && list.value("has_more", false) && list["next_cursor"].is_string() &&
      ctx.settings().output == OutputFormat::kTable) {
    ctx.Note("more: --cursor " + list["next_cursor"].get<std::string>() + " (or --all)");
  }
  return kExitOk;
}

std::string ItemPath(const std::string& collection, const std::string& id) {
  return collection + "/" + UrlEncode(id);
}

}  // namespace flare::cli
