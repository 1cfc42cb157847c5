#pragma once

// What kind of build this test program belongs to. tests/CMakeLists.txt defines
// FLARE_SANITIZED=1 in ASan/UBSan and TSan trees.
namespace flare::testing {

#ifdef FLARE_SANITIZED
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// The size of a scale test: its full size in a plain build, a quarter under a sanitizer. A
// sanitizer pass looks for memory errors and races, which a quarter of the rows exercise on the
// same paths, at 3 to 10 times the cost per row; the plain pass keeps the full size.
constexpr int ScaleForBuild(int full) { return kSanitizedBuild ? full / 4 : full; }

}  // namespace flare::testing
