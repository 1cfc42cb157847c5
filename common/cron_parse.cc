// Parsing of cron expressions (SPEC §4) into one bit mask per field.
//
// Grammar of a field: a comma list of items; an item is `*`, `N`, `A-B`, each
// optionally followed by `/S`; `N/S` means `N-max/S`. Month and day-of-week
// also take three-letter English names, case-insensitive. Day-of-week accepts
// 0-7 with 0 and 7 both Sunday; as a range end, SUN means 7 so FRI-SUN works.
// A day field "is restricted" when its text does not start with '*' — the test
// Vixie cron applies before it uses the either-day rule, so `*/2` counts as
// unrestricted even though it does restrict.
//
// Every error names the field by number and name and says what is wrong,
// because the message goes straight back to the user in a 400.

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "common/cron.h"
#include "common/quote.h"
#include "common/text.h"

namespace flare {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const std::array<const char*, 12>* names;  // names[i] is value names_base + i
  int names_base;
};

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 12> kDayNames = {
    "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr, nullptr, nullptr, nullptr, nullptr};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, &kMonthNames, 1},
    {"day-of-week", 0, 7, &kDayNames, 0},
}};
constexpr int kDayOfWeek = 4;

struct Macro {
  const char* name;
  const char* expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::toupper(static_cast<unsigned char>(x)) ==
           std::toupper(static_cast<unsigned char>(y));
  });
}

// The value of a string of digits; anything too long for a cron field is 9999.
int ToInt(std::string_view digits) {
  if (digits.size() > 4) return 9999;
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// Reads the items of one field; `index` is 0-based.
class FieldParser {
 public:
  FieldParser(int index, std::string_view text)
      : index_(index), spec_(kFields[index]), text_(text) {}

  Result<uint64_t> Parse() {
    uint64_t mask = 0;
    size_t start = 0;
    while (true) {
      size_t comma = text_.find(',', start);
      std::string_view item = text_.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (item.empty()) return Fail("empty item in list \"" + Printable(text_) + "\"");
      auto bits = ParseItem(item);
      if (!bits.ok()) return bits.error();
      mask |= *bits;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return mask;
  }

 private:
  Error Fail(const std::string& problem) const {
    return InvalidRequest(
        "cron field " + std::to_string(index_ + 1) + " (" + spec_.name + "): " + problem,
        "schedule");
  }

  Error Unexpected() const {
    return Fail("unexpected character '" + Printable(item_.substr(pos_, 1)) + "' in \"" +
                Printable(item_) + "\"");
  }

  Result<uint64_t> ParseItem(std::string_view item) {
    item_ = item;
    pos_ = 0;
    auto range = ParseRange();
    if (!range.ok()) return range.error();
    int step = 1;
    if (Peek() == '/') {
      ++pos_;
      auto parsed = ParseStep();
      if (!parsed.ok()) return parsed.error();
      step = *parsed;
    }
    if (pos_ != item_.size()) return Unexpected();
    uint64_t bits = 0;
    for (int v = range->first; v <= range->second; v += step) bits |= uint64_t{1} << v;
    return bits;
  }

  // `*`, `N` or `A-B`, as the first and last value; `N` before a step means N-max.
  Result<std::pair<int, int>> ParseRange() {
    if (Peek() == '*') {
      ++pos_;
      return std::pair{spec_.min, spec_.max};
    }
    auto first = ParseValue();
    if (!first.ok()) return first.error();
    if (Peek() == '/') return std::pair{*first, spec_.max};
    if (Peek() != '-') return std::pair{*first, *first};
    ++pos_;
    auto end = ParseValue();
    if (!end.ok()) return end.error();
    int last = *end;
    // SUN is 0, but as the end of a range the week's last day is meant.
    if (index_ == kDayOfWeek && last == 0 && *first > 0 && last_was_name_) last = 7;
    if (last < *first) {
      return Fail("range " + std::to_string(*first) + "-" + std::to_string(last) +
                  " is reversed; write the smaller value first");
    }
    return std::pair{*first, last};
  }

  char Peek() const { return pos_ < item_.size() ? item_[pos_] : '\0'; }

  // A number or a name, checked against the field's range.
  Result<int> ParseValue() {
    size_t start = pos_;
    while (pos_ < item_.size() && std::isalnum(static_cast<unsigned char>(item_[pos_]))) ++pos_;
    std::string_view token = item_.substr(start, pos_ - start);
    if (token.empty()) {
      if (pos_ < item_.size()) {
        return Unexpected();
      }
      return Fail("missing value in \"" + Printable(item_) + "\"");
    }
    last_was_name_ = std::isalpha(static_cast<unsigned char>(token[0]));
    if (last_was_name_) return LookUpName(token);
    if (!std::all_of(token.begin(), token.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return Fail("\"" + Printable(token) + "\" is not a number");
    }
    int value = ToInt(token);
    if (value < spec_.min || value > spec_.max) {
      return Fail(Printable(token) + " is out of range " + std::to_string(spec_.min) + "-" +
                  std::to_string(spec_.max));
    }
    return value;
  }

  Result<int> LookUpName(std::string_view token) {
    if (spec_.names == nullptr) {
      return Fail("\"" + Printable(token) +
                  "\" is not a number (names are allowed only in month and day-of-week)");
    }
    for (size_t i = 0; i < spec_.names->size(); ++i) {
      const char* name = (*spec_.names)[i];
      if (name != nullptr && EqualsIgnoreCase(token, name)) {
        return spec_.names_base + static_cast<int>(i);
      }
    }
    return Fail("unknown name \"" + Printable(token) + "\"");
  }

  Result<int> ParseStep() {
    size_t start = pos_;
    while (pos_ < item_.size() && std::isdigit(static_cast<unsigned char>(item_[pos_]))) ++pos_;
    std::string_view token = item_.substr(start, pos_ - start);
    if (token.empty()) return Fail("missing step after '/' in \"" + Printable(item_) + "\"");
    int span = spec_.max - spec_.min + 1;
    int step = ToInt(token);
    if (step < 1 || step > span) {
      return Fail("step " + Printable(token) + " is out of range 1-" + std::to_string(span));
    }
    return step;
  }

  int index_;
  const FieldSpec& spec_;
  std::string_view text_;
  std::string_view item_;
  size_t pos_ = 0;
  bool last_was_name_ = false;
};

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t') ++pos;
    if (pos > start) fields.push_back(text.substr(start, pos - start));
  }
  return fields;
}

// The longest month each month can have (February counts its leap day).
constexpr std::array<int, 13> kMaxDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// With the either-day rule any weekday rescues a day; otherwise some allowed
// month must contain some allowed day-of-month. Every (month, day) pair that
// exists in some year falls on every weekday within the 400-year cycle, so
// this is exact, and no search is needed to decide it.
std::optional<Error> CheckFires(const CronExpr& expr) {
  if (expr.dom_restricted && expr.dow_restricted) return std::nullopt;
  for (int month = 1; month <= 12; ++month) {
    if (!(expr.months >> month & 1)) continue;
    uint32_t possible = static_cast<uint32_t>((uint64_t{1} << (kMaxDays[month] + 1)) - 2);
    if (expr.days & possible) return std::nullopt;
  }
  std::string days;
  for (int day = 1; day <= 31; ++day) {
    if (expr.days >> day & 1) days += (days.empty() ? "" : ",") + std::to_string(day);
  }
  std::string months;
  for (int month = 1; month <= 12; ++month) {
    if (expr.months >> month & 1)
      months += (months.empty() ? "" : ",") + std::string(kMonthNames[month - 1]);
  }
  return InvalidRequest("cron expression \"" + Printable(expr.text) +
                            "\" never fires: day-of-month " + days + " does not occur in " + months,
                        "schedule");
}

Result<CronExpr> ParseFields(std::string_view text, std::string_view source) {
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 5) {
    return InvalidRequest(
        "cron expression needs 5 fields (minute hour day-of-month month day-of-week), got " +
            std::to_string(fields.size()),
        "schedule");
  }
  std::array<uint64_t, 5> masks{};
  for (int i = 0; i < 5; ++i) {
    auto mask = FieldParser(i, fields[i]).Parse();
    if (!mask.ok()) return mask.error();
    masks[i] = *mask;
  }
  CronExpr expr;
  expr.minutes = masks[0];
  expr.hours = static_cast<uint32_t>(masks[1]);
  expr.days = static_cast<uint32_t>(masks[2]);
  expr.months = static_cast<uint16_t>(masks[3]);
  expr.weekdays = static_cast<uint8_t>((masks[4] | masks[4] >> 7) & 0x7f);  // 7 is Sunday
  expr.dom_restricted = fields[2][0] != '*';
  expr.dow_restricted = fields[4][0] != '*';
  expr.text = std::string(source);
  if (auto never = CheckFires(expr)) return *never;
  return expr;
}

}  // namespace

Result<CronExpr> ParseCron(std::string_view text) {
  text = TrimWhitespace(text);
  if (!text.empty() && text[0] == '@') {
    for (const Macro& macro : kMacros) {
      if (EqualsIgnoreCase(text, macro.name)) return ParseFields(macro.expansion, text);
    }
    return InvalidRequest("unknown cron macro \"" + Printable(text) +
                              "\"; use @yearly, @annually, @monthly, @weekly, @daily, "
                              "@midnight, @hourly or @every <duration>",
                          "schedule");
  }
  return ParseFields(text, text);
}

}  // namespace flare
