#include "daemon/service/prometheus_text.h"

#include <cmath>
#include <cstdio>

namespace flare::daemon {
namespace {

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void AppendLabels(std::string& out, const PromLabels& labels) {
  if (labels.empty()) return;
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += EscapePromLabelValue(labels[i].second);
    out += '"';
  }
  out += '}';
}

}  // namespace

std::string EscapePromLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string FormatPromNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.15g", value);
  }
  return buffer;
}

void PrometheusText::Family(const std::string& name, const std::string& help,
                            const std::string& type) {
  text_ += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  text_ += "# TYPE " + name + " " + type + "\n";
}

void PrometheusText::Sample(const std::string& name, const PromLabels& labels, double value) {
  text_ += name;
  AppendLabels(text_, labels);
  text_ += ' ';
  text_ += FormatPromNumber(value);
  text_ += '\n';
}

void PrometheusText::Histogram(const std::string& name, const PromLabels& labels,
                               const std::vector<double>& bounds,
                               const std::vector<uint64_t>& cumulative, double sum) {
  for (size_t i = 0; i <= bounds.size() && i < cumulative.size(); ++i) {
    PromLabels with_le = labels;
    with_le.emplace_back("le", i < bounds.size() ? FormatPromNumber(bounds[i]) : "+Inf");
    Sample(name + "_bucket", with_le, static_cast<double>(cumulative[i]));
  }
  Sample(name + "_sum", labels, sum);
  Sample(name + "_count", labels, cumulative.empty() ? 0 : static_cast<double>(cumulative.back()));
}

}  // namespace flare::daemon
