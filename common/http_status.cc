#include "common/http_status.h"

namespace flare {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsClass(std::string_view spec) {
  return spec.size() == 3 && spec[0] >= '1' && spec[0] <= '5' &&
         (spec[1] == 'x' || spec[1] == 'X') && (spec[2] == 'x' || spec[2] == 'X');
}

bool IsCode(std::string_view spec) {
  return spec.size() == 3 && spec[0] >= '1' && spec[0] <= '5' && IsDigit(spec[1]) &&
         IsDigit(spec[2]);
}

}  // namespace

bool IsValidSuccessStatus(std::string_view spec) { return IsClass(spec) || IsCode(spec); }

bool MatchesSuccessStatus(int status, std::string_view spec) {
  if (IsClass(spec)) return status / 100 == spec[0] - '0';
  if (IsCode(spec)) return status == (spec[0] - '0') * 100 + (spec[1] - '0') * 10 + (spec[2] - '0');
  return false;
}

}  // namespace flare
