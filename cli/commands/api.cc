// `flarectl api METHOD PATH [--input FILE|-] [-H 'Name: value']…`: a raw call like `gh api`.
// Prints the response body as it came; the exit code follows the status (SPEC §9).

#include "cli/commands/command.h"
#include "cli/commands/job_body.h"
#include "cli/payload.h"

namespace flare::cli {

void AddApiCommand(CLI::App& api, Context& ctx) {
  struct Args {
    std::string method, path, input;
    std::vector<std::string> headers;
    bool include = false;
  };
  auto args = std::make_shared<Args>();
  api.add_option("method", args->method, "GET, POST, PUT, PATCH or DELETE")
      ->required()
      ->transform([](std::string m) {
        for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return m;
      })
      ->check(CLI::IsMember({"GET", "POST", "PUT", "PATCH", "DELETE"}));
  api.add_option("path", args->path, "Path with query, e.g. /flare/v1/jobs?limit=5")->required();
  api.add_option("--input", args->input, "Request body from a file, or - for stdin");
  api.add_option("-H,--header", args->headers, "Extra header 'Name: value' (repeatable)");
  api.add_flag("-i,--include", args->include, "Print the status line and headers to stderr");
  OnRun(&api, ctx, [&ctx, args] {
    HttpRequest request;
    request.method = args->method;
    request.path = args->path[0] == '/' ? args->path : "/" + args->path;
    if (!args->input.empty()) request.body = ReadFileText(args->input, ctx.io().in());
    for (const auto& header : args->headers) {
      auto [name, value] = SplitPair(header, ':', "--header");
      request.headers.emplace_back(
          name, value.substr(std::min(value.find_first_not_of(' '), value.size())));
    }
    auto response = ctx.api().Send(request);
    if (!response.ok()) throw ctx.api().Unreachable(response.error().message);
    if (args->include) {
      ctx.io().ErrLine("HTTP " + std::to_string(response->status));
      for (const auto& [name, value] : response->headers) ctx.io().ErrLine(name + ": " + value);
    }
    ctx.io().out() << response->body;
    if (!response->body.empty() && response->body.back() != '\n') ctx.io().out() << '\n';
    return ExitCodeForStatus(response->status);
  });
}

}  // namespace flare::cli
