#pragma once
// JSON arguments as SPEC §9 takes them: inline '{"a":1}', '@file.json' or '-' for stdin.

#include <istream>
#include <nlohmann/json.hpp>
#include <string>

namespace flare::cli {

/// The text of `arg`: the file after '@', all of `in` for "-", else `arg` itself.
/// Throws CliError (usage) for an unreadable file.
std::string ReadArgText(const std::string& arg, std::istream& in);
/// ReadArgText + JSON parse; `what` names the flag in the error ("--payload").
nlohmann::json ParseJsonArg(const std::string& arg, std::istream& in, const std::string& what);
/// A whole file ("-" = stdin) as text.
std::string ReadFileText(const std::string& path, std::istream& in);
/// JSON array or JSONL (one object per line, blank lines skipped) → array.
nlohmann::json ParseJsonOrJsonl(const std::string& text, const std::string& what);

}  // namespace flare::cli
