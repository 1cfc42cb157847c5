# One INTERFACE target carries warnings and sanitizers; every flare target links it.
#
# FLARE_SANITIZE picks one instrumented build (they cannot be combined in one binary):
#   address  ASan + UBSan (ON means this too), with any compiler;
#   thread   TSan, for the places where the writer, scheduler, executor, dispatcher and the
#            server pool meet across threads (scripts/test.sh builds it with GCC).
# FLARE_FUZZ builds the libFuzzer targets of tests/fuzz/ (clang only): every flare library is
# compiled with coverage hooks (fuzzer-no-link) plus ASan + UBSan, so a fuzz input that
# corrupts memory or hits undefined behaviour stops the fuzzer with the input saved.
option(FLARE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

add_library(flare_options INTERFACE)
# -Wshadow=local is GCC's spelling only (clang, for the fuzz tree, has no such option).
target_compile_options(flare_options INTERFACE -Wall -Wextra -Wpedantic
                       $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor
                       -Wimplicit-fallthrough)
if(FLARE_WERROR)
  target_compile_options(flare_options INTERFACE -Werror)
endif()

string(TOLOWER "${FLARE_SANITIZE}" flare_sanitize)
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

if(FLARE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FLARE_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(FLARE_SANITIZE)
    message(FATAL_ERROR "FLARE_FUZZ brings its own ASan + UBSan; leave FLARE_SANITIZE off")
  endif()
  target_compile_options(flare_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                         -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(flare_options INTERFACE -fsanitize=address,undefined)
endif()

# Sanitizers bring their own allocator: no jemalloc under any of them (a normal variable
# shadows the cache entry for the rest of this configure run).
if(FLARE_SANITIZE OR FLARE_FUZZ)
  set(FLARE_JEMALLOC OFF)
endif()
target_include_directories(flare_options INTERFACE ${PROJECT_BINARY_DIR}/generated)
