#pragma once
// The Prometheus text exposition format, version 0.0.4: "# HELP" and "# TYPE" once per
// metric family, then one line per sample, `name{label="value",…} number`. Label values
// escape backslash, double quote and newline; HELP text escapes backslash and newline.
// A histogram is its cumulative `_bucket{le=…}` lines ending with le="+Inf", `_sum` and
// `_count` (equal to the +Inf bucket).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace flare::daemon {

using PromLabels = std::vector<std::pair<std::string, std::string>>;

std::string EscapePromLabelValue(const std::string& value);
/// A sample value: integers without a fraction, "+Inf"/"-Inf"/"NaN" as the format spells them.
std::string FormatPromNumber(double value);

class PrometheusText {
 public:
  /// Starts a metric family; `type` is counter, gauge or histogram.
  void Family(const std::string& name, const std::string& help, const std::string& type);
  void Sample(const std::string& name, const PromLabels& labels, double value);
  /// One histogram series: `cumulative` has one count per bound plus the +Inf one.
  void Histogram(const std::string& name, const PromLabels& labels,
                 const std::vector<double>& bounds, const std::vector<uint64_t>& cumulative,
                 double sum);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace flare::daemon
