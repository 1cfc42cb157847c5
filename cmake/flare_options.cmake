# One INTERFACE target carries warnings and sanitizers; every flare target links it.
#
# FLARE_SANITIZE picks one instrumented build (they cannot be combined in one binary):
#   address  ASan + UBSan (ON means this too), with any compiler;
#   thread   TSan, for the places where the writer, scheduler, executor, dispatcher and the
#            server pool meet across threads (scripts/test.sh builds it with GCC).
# FLARE_FUZZ builds the libFuzzer targets of tests/fuzz/ (clang only) and implies ASan + UBSan.
# flare_common and flare_daemon, the code the fuzz targets reach, also get coverage hooks
# (fuzzer-no-link, see tests/fuzz/CMakeLists.txt), so a fuzz input that corrupts memory or hits
# undefined behaviour stops the fuzzer with the input saved. The CLI and the tests are built
# without the hooks, so one tree can both run the test suite under ASan + UBSan and fuzz: CI
# does this (scripts/test.sh), which saves it a whole fourth build.
option(FLARE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)
# Extra compile flags for one layer only, after the build type's. CI compiles the test
# programs (and, in its sanitizer trees, the CLI) at -O0: three trees on two cores, and
# neither the speed of test code nor flarectl's is what those trees measure, while flared's
# code keeps the optimisation the sanitizers are meant to run at.
set(FLARE_TEST_CXX_FLAGS "" CACHE STRING "Extra compile flags for the test programs")
set(FLARE_CLI_CXX_FLAGS "" CACHE STRING "Extra compile flags for flarectl (flare_cli)")
separate_arguments(flare_test_cxx_flags UNIX_COMMAND "${FLARE_TEST_CXX_FLAGS}")
separate_arguments(flare_cli_cxx_flags UNIX_COMMAND "${FLARE_CLI_CXX_FLAGS}")

add_library(flare_options INTERFACE)
# -Wshadow=local is GCC's spelling only (clang, for the ASan + fuzz tree, has no such option).
target_compile_options(flare_options INTERFACE -Wall -Wextra -Wpedantic
                       $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor
                       -Wimplicit-fallthrough)
if(FLARE_WERROR)
  target_compile_options(flare_options INTERFACE -Werror)
endif()
# In a unity build each .cc is #included into a batch file, so GCC takes a class in one .cc
# that holds a type of that file's anonymous namespace for a header's class doing so: a false
# alarm here (each batch is still one translation unit).
if(CMAKE_UNITY_BUILD)
  target_compile_options(flare_options INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()

string(TOLOWER "${FLARE_SANITIZE}" flare_sanitize)
if(FLARE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FLARE_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(flare_sanitize STREQUAL "thread")
    message(FATAL_ERROR "FLARE_FUZZ brings ASan + UBSan; it cannot be combined with TSan")
  elseif(NOT FLARE_SANITIZE)
    set(FLARE_SANITIZE address)
    set(flare_sanitize address)
  endif()
endif()

if(flare_sanitize STREQUAL "address" OR flare_sanitize STREQUAL "on")
  target_compile_options(flare_options INTERFACE -fsanitize=address,undefined
                         -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(flare_options INTERFACE -fsanitize=address,undefined)
elseif(flare_sanitize STREQUAL "thread")
  target_compile_options(flare_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(flare_options INTERFACE -fsanitize=thread)
elseif(FLARE_SANITIZE)
  message(FATAL_ERROR "FLARE_SANITIZE=${FLARE_SANITIZE}: use address, thread or OFF")
endif()

# Sanitizers bring their own allocator: no jemalloc under any of them (a normal variable
# shadows the cache entry for the rest of this configure run).
if(FLARE_SANITIZE OR FLARE_FUZZ)
  set(FLARE_JEMALLOC OFF)
endif()
target_include_directories(flare_options INTERFACE ${PROJECT_BINARY_DIR}/generated)
