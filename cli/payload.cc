#include "cli/payload.h"

#include <fstream>
#include <sstream>

#include "cli/cli_error.h"

namespace flare::cli {

std::string ReadFileText(const std::string& path, std::istream& in) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << in.rdbuf();
    return buffer.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UsageError("cannot read file '" + path + "'");
  buffer << file.rdbuf();
  return buffer.str();
}

std::string ReadArgText(const std::string& arg, std::istream& in) {
  if (arg == "-") return ReadFileText("-", in);
  if (!arg.empty() && arg[0] == '@') return ReadFileText(arg.substr(1), in);
  return arg;
}

nlohmann::json ParseJsonArg(const std::string& arg, std::istream& in, const std::string& what) {
  std::string text = ReadArgText(arg, in);
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw UsageError(what + " is not valid JSON",
                     "give inline JSON, @file.json, or - to read standard input");
  }
  return parsed;
}

nlohmann::json ParseJsonOrJsonl(const std::string& text, const std::string& what) {
  auto whole = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (whole.is_array()) return whole;
  if (whole.is_object() && whole.contains("jobs") && whole["jobs"].is_array()) {
    return whole["jobs"];
  }
  nlohmann::json items = nlohmann::json::array();
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto item = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!item.is_object()) {
      throw UsageError(what + " line " + std::to_string(number) + " is not a JSON object",
                       "give a JSON array of job bodies or one JSON object per line");
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace flare::cli
