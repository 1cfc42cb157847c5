#pragma once
// `success_status` of an HTTP target (SPEC §4): a code ("200") or a class ("2xx").

#include <string_view>

namespace flare {

/// True when `spec` is a three-digit code 100-599 or a class "1xx".."5xx".
bool IsValidSuccessStatus(std::string_view spec);

/// True when `status` satisfies `spec`; an invalid spec matches nothing.
bool MatchesSuccessStatus(int status, std::string_view spec);

}  // namespace flare
