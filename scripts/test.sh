#!/usr/bin/env bash
# CI's test command (.ci/run runs exactly this). Passes, in order, each in its own build tree:
#   format  clang-format --dry-run over every tracked *.cc/*.h   (SKIP_FORMAT=1 skips it)
#   plain   -Werror -O1 build (GCC) and every test                (build-ci)
#   asan    ASan + UBSan build (clang) with the libFuzzer targets, every test and fuzz seed
#                                                                 (build-asan, SKIP_ASAN=1)
#   tsan    ThreadSanitizer build (GCC) and every test but the PostgreSQL half of the
#           request-shape suites (see below)                      (build-tsan, SKIP_TSAN=1)
#   fuzz    the asan tree's libFuzzer targets, FUZZ_SECONDS each (30)         (SKIP_FUZZ=1)
# SKIP_SANITIZERS=1 skips asan, tsan and fuzz (the quick pass); fuzz is also skipped when the
# run is already past FUZZ_START_BY seconds (2400). Sanitizer trees build no benchmarks. A
# failing step fails the script; each phase prints its time, each pass a closing line, and
# the end a summary of every pass that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh test
jobs=$(nproc)
# Integration tests mostly wait on a flared child, so one more than the cores keeps both busy.
test_jobs=${CTEST_PARALLEL:-$((jobs + 1))}
# 30 s a target: the checked-in corpora already cover the grammar, and CI must stay < 45 min.
fuzz_seconds=${FUZZ_SECONDS:-30}
skip_sanitizers=${SKIP_SANITIZERS:-0}

summary=()
current=""
phase_start=0
pass_seconds=0
pass_detail=""

begin() {  # begin <pass> <phase>: announce and time one phase
  current="$1/$2"
  echo "== $current"
  phase_start=$SECONDS
}
end() {  # end: print the phase's time and add it to its pass
  local took=$((SECONDS - phase_start))
  echo "== $current: ${took}s"
  pass_seconds=$((pass_seconds + took))
  pass_detail+="${current#*/} ${took}s, "
}
close_pass() {  # close_pass <pass>: the pass's closing line
  local line="pass $1: ok in ${pass_seconds}s (${pass_detail%, })"
  echo "== $line"
  summary+=("$line")
  pass_seconds=0
  pass_detail=""
}
report() {
  local status=$?
  echo "== summary"
  for line in "${summary[@]}"; do echo "   $line"; done
  if [ "$status" -ne 0 ]; then echo "   FAILED in $current after $((SECONDS - phase_start))s"; fi
  echo "   total ${SECONDS}s"
}
trap report EXIT

# ctest over a tree; extra environment (sanitizer options) comes before the tree name, and
# ctest_extra (an array, normally empty) adds ctest arguments such as an exclusion.
ctest_extra=()
run_tests() {
  local tree=$1 timeout=$2
  shift 2
  env "$@" ctest --test-dir "$tree" --output-on-failure --parallel "$test_jobs" --timeout "$timeout" \
    "${ctest_extra[@]}"
}

if [ "${SKIP_FORMAT:-0}" != "1" ]; then
  begin format check
  ./scripts/check-format.sh
  end
  close_pass format
fi

begin plain build
# -O1 and no debug info: -g costs a third of this tree's compile time and -O2 another sixth,
# which CI's 45 minutes need; the ASan tree below has line tables for any report.
# The test programs at -O0 (FLARE_TEST_CXX_FLAGS): they are 40% of the tree, and their own
# speed does not matter.
# One unity batch per target (FLARE_UNITY_BATCH=0, see CMakeLists.txt): the fastest cold
# build, and any clash of names between two files of a target shows here.
./scripts/build.sh build-ci -DFLARE_WERROR=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g0 -DNDEBUG" \
  -DFLARE_TEST_CXX_FLAGS=-O0 -DFLARE_UNITY_BATCH=0
end
begin plain tests
run_tests build-ci 300
end
close_pass plain

# sanitizer_pass <name> <test timeout> <env…> -- <cmake flags…>: build the tree build-<name>
# with those flags and run every test in it. -O1 and line tables only (-g1): the sanitizers'
# own advice is -O1/-O2, reports need file:line but no variable info, and the trees compile
# markedly faster on a 2-core machine than at -O2 -g. The test programs and flarectl at -O0:
# what these trees check is flared's code, and -O0 halves the sanitizers' compile time for
# the rest. No benchmarks in these trees.
sanitizer_pass() {
  local name=$1 timeout=$2
  shift 2
  local test_env=()
  while [ "$1" != "--" ]; do
    test_env+=("$1")
    shift
  done
  shift
  begin "$name" build
  ./scripts/build.sh "build-$name" -DFLARE_WERROR=ON -DFLARE_BUILD_BENCH=OFF \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DFLARE_TEST_CXX_FLAGS=-O0 \
    -DFLARE_CLI_CXX_FLAGS=-O0 -DFLARE_UNITY_BATCH=0 "$@"
  end
  begin "$name" tests
  run_tests "build-$name" "$timeout" "${test_env[@]}"
  end
  close_pass "$name"
}

# ASan + UBSan with clang: it compiles this tree in under half the time GCC takes with the
# same sanitizers (measured: 12 s against 24 s for a service file, 18 s against 53 s for an
# integration test file), and the same tree carries the libFuzzer targets (FLARE_FUZZ), so
# the fuzz pass below needs no build of its own. Its ctest also replays every seed corpus.
if [ "$skip_sanitizers" != "1" ] && [ "${SKIP_ASAN:-0}" != "1" ]; then
  sanitizer_pass asan 600 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 -- \
    -DCMAKE_CXX_COMPILER=clang++ -DFLARE_SANITIZE=address -DFLARE_FUZZ=ON
fi

if [ "$skip_sanitizers" != "1" ] && [ "${SKIP_TSAN:-0}" != "1" ]; then
  # GCC 12's TSan: libstdc++ is built with GCC, so its atomics and locks are understood
  # without an instrumented standard library. flared and flarectl started by the tests are
  # the TSan builds of this tree (FLARED_PATH/FLARECTL_PATH), and inherit TSAN_OPTIONS.
  # atexit_sleep_ms: TSan pauses 1 s before a process exits (to catch races at exit); 100 ms
  # keeps a window for those without breaking the tests that time flared's exit (≤ 1 s idle).
  # Under TSan the PostgreSQL half of the integration suite ("pg.*") runs only the suites
  # where several threads or processes meet in flared's PostgreSQL code: nodes, pollers,
  # leases, kills, restarts, the executor and webhooks. The suites excluded here check the
  # shape of requests and answers (validation, listings, accounts, the CLI's output); they
  # run on PostgreSQL in the plain and asan passes and on SQLite in every pass, and their
  # PostgreSQL half under TSan took ~400 s of test time (~130 s of the run on 2 cores) for
  # no thread that the kept suites do not also drive.
  ctest_extra=(-E '^pg\.(SeedLimits/JobsValidation|JobsApi|RunsApi|Events|Accounts|AccountsConfig|ApiKeys|ApiKeysLockout|ApiKeysUsage|CliJobs|CliWebhooks|HttpFrontTest|BadInput|Idempotency|Export|ExportLimits|TenancyMatrix|UsageMetrics|ContinuationChain|Continuations|HostileTargets)\.')
  sanitizer_pass tsan 900 \
    "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 atexit_sleep_ms=100 suppressions=$PWD/tests/tsan.supp" \
    -- -DFLARE_SANITIZE=thread
fi

# The fuzz pass comes last and only starts while there is time for it (about 2 minutes): CI
# stops at 45 minutes, and a run that starts late (a slow mirror, a busy machine) should
# still report the three test passes rather than be killed in the middle of fuzzing. It
# fuzzes with the asan tree's targets, so it needs that pass to have run.
fuzz_start_by=${FUZZ_START_BY:-2400}
if [ "$skip_sanitizers" = "1" ] || [ "${SKIP_FUZZ:-0}" = "1" ] || [ "${SKIP_ASAN:-0}" = "1" ]; then
  :
elif [ "$SECONDS" -gt "$fuzz_start_by" ]; then
  echo "== fuzz: skipped, ${SECONDS}s have passed (FUZZ_START_BY=${fuzz_start_by}); run FUZZ_TREE=build-asan scripts/fuzz.sh run"
  summary+=("pass fuzz: SKIPPED (started after ${SECONDS}s)")
else
  begin fuzz run
  FUZZ_TREE=build-asan FUZZ_SECONDS=$fuzz_seconds ./scripts/fuzz.sh run
  end
  close_pass fuzz
fi
