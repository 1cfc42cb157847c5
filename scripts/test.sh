#!/usr/bin/env bash
# Installs dependencies, builds with -Werror, and runs every test twice: once in a normal
# build and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# SKIP_SANITIZERS=1 runs only the first pass.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
jobs=$(nproc)

echo "== build (-Werror)"
./scripts/build.sh build-ci -DFLARE_WERROR=ON
echo "== tests"
ctest --test-dir build-ci --output-on-failure --parallel "$jobs" --timeout 300

if [ "${SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== build (ASan + UBSan)"
  ./scripts/build.sh build-asan -DFLARE_WERROR=ON -DFLARE_SANITIZE=ON -DFLARE_BUILD_BENCH=OFF
  echo "== tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --parallel "$jobs" --timeout 600
fi
