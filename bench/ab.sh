#!/usr/bin/env bash
# Two flared builds, alternating, on one flare_load case: the A/B runs of bench/RESULTS.md.
#
#   A=/tmp/old/flared B=build/daemon/flared bench/ab.sh PAIRS <flare_load arguments>
#   e.g. bench/ab.sh 5 create --n 4000 --conns 1
#
# Each run starts a fresh flared (its defaults, a temp data dir, loopback), runs the case,
# and prints: side, jobs/s, flared CPU µs per job, thread switches per job (perf stat on
# flared for the whole run; "-" without perf). Knobs: LOAD (build/bench/flare_load),
# FLAGS (more flared flags), METRICS (a regex: print flared's /metrics lines that match it
# after each run, on stderr). With LOAD=build/bench/flare_sched (and FLAGS=
# --allow-private-targets) it runs the scheduler cases: `bench/ab.sh 8 every --n 1000
# --seconds 8` prints each run's fire, start and arrival lateness, p50 and p99 in ms.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS="${1:?usage: A=... B=... bench/ab.sh PAIRS <flare_load arguments>}"
shift
: "${A:?A= the first flared binary}" "${B:?B= the second flared binary}"
LOAD="${LOAD:-build/bench/flare_load}"
SCRATCH="$(mktemp -d)"
trap 'rm -rf -- "$SCRATCH"' EXIT

run_side() {  # SIDE BINARY ARGS...
  local side="$1" bin="$2" dir="$SCRATCH/$1" pid perf_pid="" line switches="-" i
  shift 2
  rm -rf -- "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # FLAGS split on purpose
  "$bin" --listen 127.0.0.1:0 --data-dir "$dir" --log-level warn ${FLAGS:-} >"$dir/log" 2>&1 &
  pid=$!
  for ((i = 0; i < 100; i++)); do
    [ -s "$dir/flared.addr" ] && [ -s "$dir/admin.key" ] && break
    sleep 0.1
  done
  if command -v perf >/dev/null; then
    perf stat -x, -e context-switches -p "$pid" -o "$dir/switches" &
    perf_pid=$!
  fi
  line="$("$LOAD" "$@" --addr "$(cat "$dir/flared.addr")" --key "$(cat "$dir/admin.key")" \
    --server-pid "$pid" --cap-s 60)" || true
  if [ -n "${METRICS:-}" ]; then  # flared's own metrics after the case, those matching METRICS
    curl -s -H "Authorization: Bearer $(cat "$dir/admin.key")" \
      "http://$(cat "$dir/flared.addr")/metrics" | grep -E "$METRICS" | sed "s/^/$side  /" >&2 || true
  fi
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    switches="$(grep context-switches "$dir/switches" | cut -d, -f1)"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  python3 -c '
import json, sys
d = json.loads(sys.argv[2]); s = sys.argv[3]
per_job = round(int(s) / d["n"], 2) if s.isdigit() else "-"
rate = d.get("per_s") or d.get("runs_per_s")
if rate is None:  # a latency case: its percentiles instead
    rate = " ".join(f"{k}={v}" for k, v in d.items() if k.startswith("p") and k[1:2].isdigit())
if "sink_lateness" in d:  # flare_sched every/cron: fire, start and arrival lateness (ms)
    rate = " ".join(k[:-9] + "_p50=" + str(d[k]["p50_ms"]) + " " + k[:-9] + "_p99=" + str(d[k]["p99_ms"])
                    for k in ("fire_lateness", "start_lateness", "sink_lateness") if k in d)
print(sys.argv[1], rate, d.get("flared_cpu_us_per_job"), per_job)
' "$side" "$line" "$switches"
}

for ((pair = 0; pair < PAIRS; pair++)); do
  run_side A "$A" "$@"
  run_side B "$B" "$@"
done
