#!/usr/bin/env bash
# Counts the instructions each flared thread spends on one burst of run_at HTTP jobs, under
# valgrind's callgrind. Timings on this shared 2-core machine move by ±30 % between runs;
# instruction counts of one function per call move by a few percent, so they show a change
# of 5 % that a timed A/B cannot. They are not a rate: compare builds with them, then
# measure the rate with bench/run.sh.
#
#   bench/count_instructions.sh                  N (2000) jobs, the build in BUILD_DIR
#   BUILD_DIR=/tmp/other-build N=500 bench/count_instructions.sh
#   MODE=batch N=10000 bench/count_instructions.sh   creates in batches of 1,000 instead
#
# Prints the instructions per thread (the writer first) and the cost per call of the
# writer's main steps; keeps callgrind's files in the printed directory for
# callgrind_annotate. flared runs at its defaults (plus --allow-private-targets to reach the
# loopback sink) on a temp data dir at 127.0.0.1 port 0, and is stopped at the end.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
N="${N:-2000}"
MODE="${MODE:-exec}"
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }

DIR="$(mktemp -d "${TMPDIR:-/tmp}/flare-callgrind.XXXXXX")"
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$DIR/callgrind.%p" \
  "$BUILD_DIR/daemon/flared" --listen 127.0.0.1:0 --data-dir "$DIR/data" --log-level warn \
  --allow-private-targets >"$DIR/valgrind.log" 2>&1 &
FLARED_PID=$!
trap 'kill "$FLARED_PID" 2>/dev/null || true' EXIT
for _ in $(seq 600); do  # valgrind starts flared ~50× slower: up to 60 s
  [ -s "$DIR/data/flared.addr" ] && [ -s "$DIR/data/admin.key" ] && break
  sleep 0.1
done
[ -s "$DIR/data/flared.addr" ] || { echo "flared did not start: $DIR/valgrind.log" >&2; exit 1; }
ADDR="$(cat "$DIR/data/flared.addr")"
KEY="$(cat "$DIR/data/admin.key")"
if [ "$MODE" = batch ]; then
  "$BUILD_DIR/bench/flare_load" batch --n "$N" --conns 1 --addr "$ADDR" --key "$KEY" \
    >"$DIR/burst.json"
else
  "$BUILD_DIR/bench/flare_sched" exec --n "$N" --wrk-s 1 --wrk-conns 2 --addr "$ADDR" \
    --key "$KEY" --cap-s 300 --server-pid "$FLARED_PID" >"$DIR/burst.json"
fi
kill -INT "$FLARED_PID"
wait "$FLARED_PID" 2>/dev/null || true
trap - EXIT

echo "burst: $(cat "$DIR/burst.json")"
echo "instructions per thread (callgrind.<pid>-<thread>):"
for file in "$DIR"/callgrind.*-*; do
  printf '%s %s\n' "$(awk '/^(summary|totals):/ {print $2; exit}' "$file")" "$(basename "$file")"
done | sort -rn >"$DIR/threads.txt"
head -6 "$DIR/threads.txt"
awk -v n="$N" 'NR <= 2 {printf "  %s: %.1f K instructions per job\n", $2, $1 / n / 1000}' \
  "$DIR/threads.txt"
# The writer is the thread that ran Writer::Loop (every state change runs on it): the
# busiest in an HTTP burst; in a batch the request's thread is about as busy.
WRITER="$(grep -l 'Writer::Loop' "$DIR"/callgrind.*-* | head -1)"
echo "the writer ($(basename "$WRITER")), inclusive instructions per call:"
callgrind_annotate --inclusive=yes --tree=calling "$WRITER" 2>/dev/null | python3 -c '
import re, sys
steps = ["HttpRunService::BeginInTx", "HttpRunService::FinishInTx", "StateMachine::MakeReady",
         "StateMachine::Save", "StateMachine::Record", "FindJob", "FindRun", "InsertJob",
         "InsertRun", "SaveRun", "SaveJobState", "AppendEvent"]
totals = {step: [0, 0] for step in steps}
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+>\s+[^:]+:(?:flare::daemon::)?([\w:]+?)\(.*\(([\d,]+)x\)(?: \[.*)?$",
                 line)
    if m and m.group(2) in totals:
        totals[m.group(2)][0] += int(m.group(1).replace(",", ""))
        totals[m.group(2)][1] += int(m.group(3).replace(",", ""))
for step, (instructions, calls) in totals.items():
    if calls:
        print(f"  {step:28s} {calls:7d} calls {instructions / calls / 1000:8.1f} K")
'
echo "callgrind files: $DIR"
