#pragma once
// What the fuzz targets share: a property that must hold for every input, checked in
// release builds too (assert() is compiled out of RelWithDebInfo). A failed check aborts,
// which libFuzzer reports as a crash and saves the input as crash-<sha1>.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                              \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "fuzz property failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, \
                   #condition);                                                                  \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
