#include "cli/output.h"

#include <cmath>
#include <cstdio>

#include "cli/table.h"

namespace flare::cli {
namespace {

const nlohmann::json kNull = nullptr;

std::string Scalar(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace

std::string RelativeTime(TimePoint t, TimePoint now) {
  auto delta = std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  bool future = delta < 0;
  long long s = std::llabs(delta);
  std::string amount;
  if (s < 60) {
    amount = std::to_string(s) + "s";
  } else if (s < 3600) {
    amount = std::to_string(s / 60) + "m";
  } else if (s < 86400) {
    amount = std::to_string(s / 3600) + "h";
  } else {
    amount = std::to_string(s / 86400) + "d";
  }
  return future ? "in " + amount : amount + " ago";
}

Style StateStyle(const std::string& state) {
  if (state == "succeeded") return Style::kGreen;
  if (state == "failed" || state == "dead_letter") return Style::kRed;
  if (state == "processing") return Style::kCyan;
  if (state == "cancelled") return Style::kDim;
  if (state == "scheduled" || state == "pending") return Style::kYellow;
  return Style::kPlain;
}

const nlohmann::json& FieldOf(const nlohmann::json& object, const std::string& field) {
  const nlohmann::json* current = &object;
  size_t start = 0;
  while (start <= field.size()) {
    size_t dot = field.find('.', start);
    std::string part = field.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!current->is_object() || !current->contains(part)) return kNull;
    current = &(*current)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *current;
}

Printer::Printer(Io& io, OutputFormat format, TimePoint now)
    : io_(io), format_(format), now_(now) {}

std::string Printer::CellText(const nlohmann::json& value, CellKind kind) const {
  if (value.is_null()) return io_.stdout_tty() ? "-" : "";
  switch (kind) {
    case CellKind::kTime: {
      if (!io_.stdout_tty() || !value.is_string()) return Scalar(value);
      auto parsed = ParseTime(value.get<std::string>());
      return parsed.ok() ? RelativeTime(*parsed, now_) : Scalar(value);
    }
    case CellKind::kProgress: {
      if (!value.is_number() || !io_.stdout_tty()) return Scalar(value);
      return std::to_string(static_cast<int>(std::lround(value.get<double>() * 100))) + "%";
    }
    case CellKind::kJson:
      return value.dump();
    case CellKind::kText:
    case CellKind::kState:
      break;
  }
  return Scalar(value);
}

Style Printer::CellStyle(const nlohmann::json& value, CellKind kind) const {
  if (kind == CellKind::kState && value.is_string()) return StateStyle(value.get<std::string>());
  if (kind == CellKind::kTime) return Style::kDim;
  return Style::kPlain;
}

void Printer::PrintId(const nlohmann::json& object) {
  const auto& id = object.is_object() && object.contains("id") ? object["id"] : object;
  io_.out() << Scalar(id) << '\n';
}

void Printer::Object(const nlohmann::json& object, const std::vector<Column>& columns) {
  switch (format_) {
    case OutputFormat::kJson:
      io_.out() << object.dump(2) << '\n';
      return;
    case OutputFormat::kJsonl:
      io_.out() << object.dump() << '\n';
      return;
    case OutputFormat::kId:
      PrintId(object);
      return;
    case OutputFormat::kTable:
      break;
  }
  Table table({"FIELD", "VALUE"});
  for (const auto& column : columns) {
    const auto& value = FieldOf(object, column.field);
    table.AddRow({{column.header, Style::kBold},
                  {CellText(value, column.kind), CellStyle(value, column.kind)}});
  }
  table.Render(io_.out(), io_,
               io_.stdout_tty() ? TableMode::kAlignedNoHeader : TableMode::kTabSeparated);
}

void Printer::List(const nlohmann::json& page, const std::vector<Column>& columns) {
  const nlohmann::json& items = page.is_array() ? page : FieldOf(page, "data");
  switch (format_) {
    case OutputFormat::kJson:
      io_.out() << page.dump(2) << '\n';
      return;
    case OutputFormat::kJsonl:
      for (const auto& item : items) io_.out() << item.dump() << '\n';
      return;
    case OutputFormat::kId:
      for (const auto& item : items) PrintId(item);
      return;
    case OutputFormat::kTable:
      break;
  }
  std::vector<std::string> headers;
  for (const auto& column : columns) headers.push_back(column.header);
  Table table(headers);
  for (const auto& item : items) {
    std::vector<Cell> row;
    for (const auto& column : columns) {
      const auto& value = FieldOf(item, column.field);
      row.push_back({CellText(value, column.kind), CellStyle(value, column.kind)});
    }
    table.AddRow(std::move(row));
  }
  table.Render(io_.out(), io_, io_.stdout_tty() ? TableMode::kAligned : TableMode::kTabSeparated);
}

void Printer::StreamItem(const nlohmann::json& item, const std::vector<Column>& columns) {
  if (format_ != OutputFormat::kTable) {
    format_ == OutputFormat::kId ? PrintId(item) : void(io_.out() << item.dump() << '\n');
    io_.out().flush();
    return;
  }
  std::string line;
  for (const auto& column : columns) {
    const auto& value = FieldOf(item, column.field);
    if (!line.empty()) line += io_.stdout_tty() ? "  " : "\t";
    line += io_.Paint(CellText(value, column.kind), CellStyle(value, column.kind));
  }
  io_.out() << line << '\n';
  io_.out().flush();
}

}  // namespace flare::cli
