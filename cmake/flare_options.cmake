# One INTERFACE target carries warnings and sanitizers; every flare target links it.
add_library(flare_options INTERFACE)
target_compile_options(flare_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
                       -Wnon-virtual-dtor -Wimplicit-fallthrough)
if(FLARE_WERROR)
  target_compile_options(flare_options INTERFACE -Werror)
endif()
if(FLARE_SANITIZE)
  target_compile_options(flare_options INTERFACE -fsanitize=address,undefined
                         -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(flare_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(flare_options INTERFACE ${PROJECT_BINARY_DIR}/generated)
