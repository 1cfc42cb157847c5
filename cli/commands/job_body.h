#pragma once
// Job bodies from flags: the common fields of SPEC §2/§4/§5 as flags (one table below),
// --payload '{…}'|@file|-, --from-file for a whole body (flags override its fields), and
// for updates --set key=value (dotted keys reach into objects: --set http.url=…).

#include <CLI/CLI.hpp>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/time_format.h"

namespace flare::cli {

enum class BodyMode { kCreate, kUpdate };

class JobFlags {
 public:
  /// Adds every job-field flag to `command`.
  void Add(CLI::App* command, BodyMode mode);
  /// The JSON body the given flags describe. Throws CliError (usage) for bad values.
  nlohmann::json Build(std::istream& in, TimePoint now) const;
  /// The Idempotency-Key header value ("" when not given).
  const std::string& idempotency_key() const { return idempotency_key_; }

 private:
  void ApplyScalars(nlohmann::json& body, TimePoint now) const;
  void ApplyHttp(nlohmann::json& body, std::istream& in) const;
  void ApplyRetry(nlohmann::json& body) const;
  void ApplyLists(nlohmann::json& body) const;

  CLI::App* command_ = nullptr;
  std::map<std::string, std::string> values_;  // field path → flag value
  std::string payload_, from_file_, idempotency_key_, ca_cert_, retry_delay_;
  std::vector<std::string> tags_, headers_, sets_;
  bool insecure_ = false;
  bool disabled_ = false;
};

/// Puts `value` at "a.b.c" in `body`, creating objects on the way.
void SetPath(nlohmann::json& body, const std::string& path, nlohmann::json value);
/// "k=v" → {k, v}; throws CliError (usage) naming `flag` without a separator.
std::pair<std::string, std::string> SplitPair(const std::string& text, char separator,
                                              const std::string& flag);

}  // namespace flare::cli
