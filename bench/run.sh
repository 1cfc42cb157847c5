#!/usr/bin/env bash
# flared's issue-2 and issue-3 benchmarks, beside the peers measured in /work/shared/bench-peers.
#
#   bench/run.sh                       every issue-2 case, RUNS times, round-robin; a table of medians
#   bench/run.sh create_c16 latency    only some cases
#   bench/run.sh sched                 every issue-3 case (scheduler lateness, HTTP executor)
#   RUNS=5 DURABILITY=normal bench/run.sh
#   WITH_PEERS=1 bench/run.sh          also run the SQLite floor once per round (same pass)
#
# Cases (issue 2, flare_load): create_c1 create_c16 batch_c1 batch_c2 process_mj1 process_mj50 latency
# Cases (issue 3, flare_sched; flared gets --allow-private-targets to reach the sink):
#   sched_cron      SCHED_CRON_N (10000) "* * * * *" jobs fire in the same minute (waits ≤ 1 min)
#   sched_every     SCHED_EVERY_N (1000) "@every 1s" jobs for SCHED_EVERY_S (20) s
#   exec exec_c16 exec_c64 exec_c128   EXEC_N (20000) one-off HTTP jobs at flared's default
#                   executor concurrency (exec) or --executor-concurrency 16/64/128, then
#                   wrk -t2 -c64 -d${WRK_S}s on the same sink (WRK_S 5)
# Every run of a case gets a fresh flared (--log-level warn, so no line per request is
# logged) on a temp data dir, on 127.0.0.1 port 0. Everything started here is stopped by
# PID in the EXIT trap. Every loop is bounded by count and by time (CAP_S).
#
# Knobs (env):
#   RUNS (3)              runs of every case, interleaved round-robin
#   DURABILITY (full)     flared --durability full|normal
#   WITH_PEERS (0)        1: build and run the SQLite floor (sqlite_limit.c) every round
#   SQLITE_ROWS (100000)  rows per phase of the SQLite floor (the peers used 100000)
#   N_CREATE1 (5000)  N_CREATE16 (20000)  N_BATCH (100000)  BACKLOG (20000)
#   WORKERS (4)  ACK_CONNS (4)  LAT_RATE (200)  LAT_SECONDS (10)  CAP_S (60)
#   MJ1_WORKERS ($WORKERS)  workers of process_mj1 (issue 8 measures it with 1)
#   FLARED_FLAGS ("")     more flared flags for every case, e.g. "--executor-concurrency 1024"
#   BUILD_DIR (<repo>/build)  OUT (a new dir under $TMPDIR; kept, its path is printed)
#   NO_BUILD (0)          1: use the binaries in BUILD_DIR as they are (no cmake run)
#   PEERS (/work/shared/bench-peers)  PEER_MEDIANS ($PEERS/results/2026-11-22/medians.json)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
DURABILITY="${DURABILITY:-full}"
WITH_PEERS="${WITH_PEERS:-0}"
SQLITE_ROWS="${SQLITE_ROWS:-100000}"
N_CREATE1="${N_CREATE1:-5000}"
N_CREATE16="${N_CREATE16:-20000}"
N_BATCH="${N_BATCH:-100000}"
BACKLOG="${BACKLOG:-20000}"
WORKERS="${WORKERS:-4}"
MJ1_WORKERS="${MJ1_WORKERS:-$WORKERS}"
FLARED_FLAGS="${FLARED_FLAGS:-}"
ACK_CONNS="${ACK_CONNS:-4}"
LAT_RATE="${LAT_RATE:-200}"
LAT_SECONDS="${LAT_SECONDS:-10}"
CAP_S="${CAP_S:-60}"
NO_BUILD="${NO_BUILD:-0}"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
PEERS="${PEERS:-/work/shared/bench-peers}"
PEER_MEDIANS="${PEER_MEDIANS:-$PEERS/results/2026-11-22/medians.json}"
SCHED_CRON_N="${SCHED_CRON_N:-10000}"
SCHED_EVERY_N="${SCHED_EVERY_N:-1000}"
SCHED_EVERY_S="${SCHED_EVERY_S:-20}"
EXEC_N="${EXEC_N:-20000}"
WRK_S="${WRK_S:-5}"
ISSUE2_CASES=(create_c1 create_c16 batch_c1 batch_c2 process_mj1 process_mj50 latency)
# Issue 8 (not in the default set: run by name): each poll's claims acked by one list ack;
# 1 worker writing its next poll while its ack is in flight; 1 worker whose ack takes its
# next job ("next", as `flarectl worker run` does where flared offers it), and the same with
# 50 jobs a round and list acks.
EXTRA_CASES=(process_mj50_list process_mj1_early process_mj1_next process_mj50_list_next)
SCHED_CASES=(sched_cron sched_every exec exec_c16 exec_c64 exec_c128)
ALL_CASES=("${ISSUE2_CASES[@]}" "${SCHED_CASES[@]}" "${EXTRA_CASES[@]}")

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$DURABILITY" in full | normal) ;; *) die "DURABILITY must be full or normal" ;; esac
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=("${ISSUE2_CASES[@]}")
[ "${CASES[*]}" != sched ] || CASES=("${SCHED_CASES[@]}")
for c in "${CASES[@]}"; do
  [[ " ${ALL_CASES[*]} " == *" $c "* ]] || die "unknown case '$c' (cases: ${ALL_CASES[*]})"
done
command -v python3 >/dev/null || die "python3 is needed for the summary table"

# ---- processes and temp dirs, stopped / removed on exit -------------------------------
FLARED_PID=""
SCRATCH=""
cleanup() {
  local rc=$?
  stop_flared
  [ -n "$SCRATCH" ] && rm -rf -- "$SCRATCH"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_flared() {
  local pid="$FLARED_PID" i
  FLARED_PID=""
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "flared $pid did not stop within 20 s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# ---- build ------------------------------------------------------------------------------
FLARED="$BUILD_DIR/daemon/flared"
LOAD="$BUILD_DIR/bench/flare_load"
SCHED="$BUILD_DIR/bench/flare_sched"
if [ "$NO_BUILD" = 1 ]; then
  for b in "$FLARED" "$LOAD" "$SCHED"; do [ -x "$b" ] || die "NO_BUILD=1 but $b is not built"; done
else
  if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
    log "configuring $BUILD_DIR (Release with debug info)"
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DFLARE_BUILD_TESTS=OFF >/dev/null
  fi
  log "building flared and flare_load"
  cmake --build "$BUILD_DIR" --target flared flare_load flare_sched >/dev/null || die "build failed"
fi
if [ "$WITH_PEERS" = 1 ]; then
  SQLITE_LIMIT="$BUILD_DIR/bench/sqlite_limit"
  if [ ! -x "$SQLITE_LIMIT" ] || [ "$PEERS/sqlite_limit.c" -nt "$SQLITE_LIMIT" ]; then
    cc -O2 -Wall -Wextra -o "$SQLITE_LIMIT" "$PEERS/sqlite_limit.c" -lsqlite3 \
      || die "building the SQLite floor failed (apt-get install libsqlite3-dev)"
  fi
fi

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/flare-bench.XXXXXX")"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/flare-bench-out.XXXXXX")}"
# The tables take the median of every line in OUT: an earlier run's lines would count too.
[ -z "$(find "$OUT" -name '*.jsonl' -print -quit 2>/dev/null)" ] ||
  die "OUT=$OUT holds the results of an earlier run; name a new directory"
mkdir -p "$OUT"

# ---- one case ---------------------------------------------------------------------------
start_flared() {  # NAME [extra flared flags...]
  local dir="$SCRATCH/flared.$1" i
  shift
  rm -rf -- "$dir"
  mkdir -p "$dir"
  "$FLARED" --listen 127.0.0.1:0 --data-dir "$dir" --durability "$DURABILITY" --log-level warn "$@" \
    >"$dir/stdout.log" 2>"$dir/stderr.log" &
  FLARED_PID=$!
  for ((i = 0; i < 100; i++)); do
    [ -s "$dir/flared.addr" ] && [ -s "$dir/admin.key" ] && break
    kill -0 "$FLARED_PID" 2>/dev/null || die "flared exited at start: $(tail -3 "$dir/stderr.log")"
    sleep 0.1
  done
  [ -s "$dir/flared.addr" ] || die "flared did not write flared.addr within 10 s"
  ADDR="$(cat "$dir/flared.addr")"
  KEY="$(cat "$dir/admin.key")"
  [[ "$ADDR" == 127.0.0.1:* ]] || die "flared bound to $ADDR, not loopback"
}

case_args() {
  case "$1" in
    create_c1) echo "create --n $N_CREATE1 --conns 1" ;;
    create_c16) echo "create --n $N_CREATE16 --conns 16" ;;
    batch_c1) echo "batch --n $N_BATCH --conns 1" ;;
    batch_c2) echo "batch --n $N_BATCH --conns 2" ;;
    process_mj1) echo "process --n $BACKLOG --workers $MJ1_WORKERS --max-jobs 1 --ack-conns 1" ;;
    process_mj1_early) echo "process --n $BACKLOG --workers $MJ1_WORKERS --max-jobs 1 --ack-conns 1 --poll-early 1" ;;
    process_mj50) echo "process --n $BACKLOG --workers $WORKERS --max-jobs 50 --ack-conns $ACK_CONNS" ;;
    process_mj50_list) echo "process --n $BACKLOG --workers $WORKERS --max-jobs 50 --ack-conns 1 --ack-list 1" ;;
    process_mj1_next) echo "process --n $BACKLOG --workers $MJ1_WORKERS --max-jobs 1 --ack-conns 1 --ack-next 1" ;;
    process_mj50_list_next) echo "process --n $BACKLOG --workers $WORKERS --max-jobs 50 --ack-conns 1 --ack-list 1 --ack-next 1" ;;
    latency) echo "latency --rate $LAT_RATE --seconds $LAT_SECONDS" ;;
    sched_cron) echo "cron --n $SCHED_CRON_N" ;;
    sched_every) echo "every --n $SCHED_EVERY_N --seconds $SCHED_EVERY_S" ;;
    exec | exec_c*) echo "exec --n $EXEC_N --wrk-s $WRK_S --wrk-conns 64" ;;
  esac
}

# flared flags beyond the common ones.
case_flags() {
  case "$1" in
    sched_* | exec | exec_*) printf '%s\n' --allow-private-targets ;;&
    exec_c*) printf '%s\n' --executor-concurrency "${1#exec_c}" ;;
  esac
  # shellcheck disable=SC2086 # split on purpose: several flags
  [ -z "$FLARED_FLAGS" ] || printf '%s\n' $FLARED_FLAGS
}

run_case() {
  local name="$1" run="$2" line prog="$LOAD" cap="$CAP_S" sink="$OUT/flared.jsonl"
  local -a flags
  mapfile -t flags < <(case_flags "$name")
  if [[ " ${SCHED_CASES[*]} " == *" $name "* ]]; then
    prog="$SCHED"
    sink="$OUT/sched.jsonl"
    cap=$((CAP_S > 150 ? CAP_S : 150))  # the cron case may wait a minute for its boundary
  fi
  start_flared "$name.$run" "${flags[@]}"
  # shellcheck disable=SC2046 # the case's arguments are split on purpose
  if ! line="$(timeout $((cap * 2 + 60)) "$prog" $(case_args "$name") --addr "$ADDR" --key "$KEY" \
      --cap-s "$cap" --server-pid "$FLARED_PID")"; then
    log "$name run $run reported errors: $line"
  fi
  stop_flared
  [ -n "$line" ] || { log "$name run $run printed nothing"; return 0; }
  printf '{"case":"%s","run":%d,"durability":"%s",%s\n' "$name" "$run" "$DURABILITY" "${line#\{}" \
    >>"$sink"
  log "$name #$run: $line"
}

run_sqlite_floor() {
  local dir="$SCRATCH/sqlite.$1"
  mkdir -p "$dir"
  log "SQLite floor, round $1 ($SQLITE_ROWS rows per phase)"
  timeout $((CAP_S * 12 + 60)) "$SQLITE_LIMIT" "$dir" "$SQLITE_ROWS" "$CAP_S" >>"$OUT/sqlite_limit.jsonl" \
    || log "the SQLite floor failed in round $1"
  rm -rf -- "$dir"
}

log "cases: ${CASES[*]}; RUNS=$RUNS DURABILITY=$DURABILITY WITH_PEERS=$WITH_PEERS; raw lines in $OUT"
for ((run = 1; run <= RUNS; run++)); do
  for name in "${CASES[@]}"; do run_case "$name" "$run"; done
  if [ "$WITH_PEERS" = 1 ]; then run_sqlite_floor "$run"; fi
done

{
  echo "host: $(nproc) cores, $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "flared $("$FLARED" --version 2>/dev/null | head -1), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "settings: RUNS=$RUNS DURABILITY=$DURABILITY N_CREATE1=$N_CREATE1 N_CREATE16=$N_CREATE16" \
    "N_BATCH=$N_BATCH BACKLOG=$BACKLOG WORKERS=$WORKERS MJ1_WORKERS=$MJ1_WORKERS ACK_CONNS=$ACK_CONNS" \
    "LAT_RATE=$LAT_RATE LAT_SECONDS=$LAT_SECONDS CAP_S=$CAP_S; flared --log-level warn"
} >"$OUT/host.txt"
if [ -s "$OUT/flared.jsonl" ]; then
  python3 "$REPO/bench/summarize.py" "$OUT" "$PEER_MEDIANS" "$DURABILITY" | tee "$OUT/table.md"
fi
if [ -s "$OUT/sched.jsonl" ]; then
  python3 "$REPO/bench/summarize_sched.py" "$OUT" "$PEER_MEDIANS" | tee "$OUT/sched_table.md"
fi
log "raw lines and table kept in $OUT"
