#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz (clang's -fsanitize=fuzzer with ASan + UBSan).
#   scripts/fuzz.sh build              configure and build build-fuzz/ with clang++
#   scripts/fuzz.sh run [target…]      fuzz each target (cron, job_spec, request; default all)
#                                      for FUZZ_SECONDS (default 60); exits non-zero on a crash
# FUZZ_TREE (default build-fuzz) names the tree: CI fuzzes with its ASan tree (build-asan),
# which is configured with FLARE_FUZZ too. New inputs go to <tree>/corpus/<target>/ (the
# checked-in seeds in tests/fuzz/corpus/ are only read); a crash is saved as
# <tree>/artifacts/<target>-crash-<sha1>. Reproduce one with: <tree>/tests/fuzz/<target>_fuzz <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${FUZZ_TREE:-build-fuzz}
targets=(cron job_spec request)

case "${1:-}" in
  build)
    # -O1 with line tables: libFuzzer's advice, and much quicker to build than -O2 -g.
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S . -B "$tree" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++ -DFLARE_FUZZ=ON -DFLARE_BUILD_TESTS=OFF \
      -DFLARE_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" >/dev/null
    cmake --build "$tree" --parallel "$(nproc)" --target "${targets[@]/%/_fuzz}"
    ;;
  run)
    shift
    [ $# -gt 0 ] && targets=("$@")
    seconds=${FUZZ_SECONDS:-60}
    mkdir -p "$tree/artifacts"
    for target in "${targets[@]}"; do
      mkdir -p "$tree/corpus/$target"
      dict=()
      [ -f "tests/fuzz/$target.dict" ] && dict=("-dict=tests/fuzz/$target.dict")
      echo "-- fuzz $target for ${seconds}s"
      # -timeout: one input running 30 s counts as a hang (a crash); -rss_limit_mb bounds memory.
      if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
          "$tree/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 \
          -timeout=30 -print_final_stats=1 -artifact_prefix="$tree/artifacts/$target-" \
          "${dict[@]}" "$tree/corpus/$target" "tests/fuzz/corpus/$target" \
          >"$tree/$target.log" 2>&1; then
        tail -n 80 "$tree/$target.log"
        echo "fuzz $target: FAILED; input saved in $tree/artifacts/ (full log $tree/$target.log)"
        exit 1
      fi
      grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$tree/$target.log" |
        tr '\n' ' ' | sed "s/^/-- fuzz $target ok: /;s/ $/\n/"
    done
    ;;
  *)
    sed -n '2,8p' "$0"
    exit 2
    ;;
esac
