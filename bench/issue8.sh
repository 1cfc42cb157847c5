#!/usr/bin/env bash
# Issue 8's figures at flared's defaults (--durability full), round-robin with the peers of
# ../shared/bench-peers measured in the same run; then one table of medians, the issue's
# targets and the ratios flared / peer (bench/summarize_issue8.py).
# Each of RUNS rounds runs, in this order:
#   probe         2 s of 4 KiB pwrite+fdatasync on the filesystem of flared's data dirs, back to
#                 back, then 2 s of one every 1/LAT_RATE s (the disk's latency as a lone create
#                 meets it: the floor of the create → waiting poll case)
#   flared        every case of CASES once (bench/run.sh RUNS=1, a fresh flared per case)
#   sqlite_limit  SQLite WAL FULL/NORMAL: 1-row commits, 1000-row commits, claim+ack (ceiling)
#   http_limit    wrk against nginx and cpp-httplib sinks at HTTP_CONNS (the HTTP ceiling)
#   bullmq        BullMQ on redis-server, no persistence and AOF everysec (needs node_modules)
#   pgboss        pg-boss on PostgreSQL 15, only with WITH_PGBOSS=1 (minutes per round)
#   cron          croner, only with PEER_SCHED_S > 0 (BullMQ's scheduler is measured then too)
# Raw output goes to OUT (a new temp dir, printed at the end): flared/round<N>/ from run.sh,
# <peer>.jsonl with a "round" field added, <peer>.err, fdatasync.jsonl, env.txt, table.md.
#
#   bench/issue8.sh                                   # defaults: 3 rounds, ~5 min a round
#   RUNS=5 WITH_PGBOSS=1 PEER_SCHED_S=30 bench/issue8.sh
#   RUNS=1 CASES="create_c1 batch_c1" N_CREATE1=300 N_BATCH=5000 PEERS=/tmp/peers \
#     SQLITE_ROWS=2000 HTTP_CONNS=16 HTTP_DURATION=1 PEER_N=500 LAT_SECONDS=1 bench/issue8.sh
#
# The peer scripts build into and write scratch data under their own directory, and BullMQ,
# pg-boss and croner need its node_modules; the shared directory has none, so prepare a copy
# once and pass PEERS=/tmp/peers (pgboss-node22/ is optional: pg-boss 12 is skipped without it):
#   cp -r /work/shared/bench-peers /tmp/peers && (cd /tmp/peers && npm ci) \
#     && (cd /tmp/peers/pgboss-node22 && npm ci)
# Without node_modules, BullMQ, pg-boss and croner are skipped with a note (not an error).
#
# Knobs (env):
#   RUNS (3)  rounds; the table gives the median (min–max) of the rounds
#   CASES ("create_c1 create_c16 batch_c1 process_mj1 process_mj1_early process_mj1_next
#          process_mj50_list process_mj50_list_next latency exec exec_c64 sched_every
#          sched_cron"), any of
#          bench/run.sh's cases
#   MJ1_WORKERS (1)  workers of process_mj1, _early and _next (the issue's "1 worker,
#          max_jobs 1"; _early writes the next poll while the ack is in flight; _next's ack
#          takes the next job, as `flarectl worker run` and BullMQ's worker, which fetches the
#          next job as it completes one, do)
#   BUILD_DIR (<repo>/build)  NO_BUILD (0: build flared, flare_load, flare_sched once first)
#   PEERS (/work/shared/bench-peers)  PEER_N (20000) jobs per BullMQ/pg-boss phase
#   SQLITE_ROWS (100000) rows per SQLite phase   HTTP_CONNS ("16 64")  HTTP_DURATION (5) s per wrk
#   WITH_PGBOSS (0)  PGBOSS_WINDOW_S (20)  PEER_SCHED_S (0: s of BullMQ scheduler and croner)
#   PROBE_S (2)  OUT (a new dir under $TMPDIR)
# and bench/run.sh's case knobs, passed on as they are (DURABILITY, N_CREATE1, N_CREATE16,
# N_BATCH, BACKLOG, WORKERS, ACK_CONNS, CAP_S, SCHED_EVERY_N, SCHED_EVERY_S, EXEC_N, WRK_S, ...).
# LAT_RATE (200), LAT_SECONDS (10) and CAP_S (60) go to flared's cases and to the peers alike.
# Every step runs under `timeout` and is stopped by PID on Ctrl-C; the scripts it runs stop
# every server they start by PID.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
read -r -a CASES <<<"${CASES:-create_c1 create_c16 batch_c1 process_mj1 process_mj1_early process_mj1_next process_mj50_list process_mj50_list_next latency exec exec_c64 sched_every sched_cron}"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
NO_BUILD="${NO_BUILD:-0}"
PEERS="${PEERS:-/work/shared/bench-peers}"
PEER_N="${PEER_N:-20000}"
SQLITE_ROWS="${SQLITE_ROWS:-100000}"
HTTP_CONNS="${HTTP_CONNS:-16 64}"
HTTP_DURATION="${HTTP_DURATION:-5}"
WITH_PGBOSS="${WITH_PGBOSS:-0}"
PGBOSS_WINDOW_S="${PGBOSS_WINDOW_S:-20}"
PEER_SCHED_S="${PEER_SCHED_S:-0}"
PROBE_S="${PROBE_S:-2}"
export LAT_RATE="${LAT_RATE:-200}" LAT_SECONDS="${LAT_SECONDS:-10}" CAP_S="${CAP_S:-60}"
export MJ1_WORKERS="${MJ1_WORKERS:-1}" DURABILITY="${DURABILITY:-full}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/flare-issue8.XXXXXX")}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The tables take the median of every line in OUT: an earlier run's lines would count too.
[ -z "$(find "$OUT" -name '*.jsonl' -print -quit 2>/dev/null)" ] ||
  die "OUT=$OUT holds the results of an earlier run; name a new directory"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ "$PEER_SCHED_S" =~ ^[0-9]+$ ]] || die "PEER_SCHED_S must be a whole number of seconds"
[ ${#CASES[@]} -gt 0 ] || die "CASES is empty"
command -v python3 >/dev/null || die "python3 is needed for the probe and the table"
[ -x "$PEERS/sqlite_limit.sh" ] || die "no peer scripts in PEERS=$PEERS"
mkdir -p "$OUT/flared"

# ---- the one child running now, stopped by PID on Ctrl-C / TERM ------------------------
CHILD=""
descendants() {  # PID: the PIDs of PID's children, grandchildren, ... (from /proc, now)
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { for (p in parent) for (q = parent[p]; q > 1; q = parent[q]) if (q == root) { print p; break } }'
}
on_signal() {
  local pids i
  trap '' INT TERM
  if [ -n "$CHILD" ]; then
    # timeout passes the TERM on to its process group; the peer scripts nest their own
    # `timeout`s (other groups) and wait for them before their cleanup runs, so every
    # process under the child gets it, by PID, and a KILL after 60 s if one lingers.
    pids="$(descendants "$CHILD")"
    log "stopping pid $CHILD and the processes it started"
    # shellcheck disable=SC2086 # one PID per word
    kill -TERM "$CHILD" $pids 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do
      kill -0 "$CHILD" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$CHILD" 2>/dev/null; then
      pids="$(descendants "$CHILD")"
      log "pid $CHILD still runs after 60 s: KILL to it and to $(wc -w <<<"$pids") processes under it"
      # shellcheck disable=SC2086
      kill -KILL "$CHILD" $pids 2>/dev/null || true
    fi
    wait "$CHILD" 2>/dev/null || true
  fi
  exit 130
}
trap on_signal INT TERM

# bounded SECONDS STDOUT_FILE STDERR_FILE CMD...: CMD under timeout, in the background so
# that this shell's trap runs at once on a signal. Its stderr is appended to STDERR_FILE
# and shown here (tee ignores INT so that a Ctrl-C cannot break the pipe of a cleanup).
bounded() {
  local secs="$1" out="$2" err="$3" rc=0
  shift 3
  timeout "$secs" "$@" >"$out" 2> >(trap '' INT TERM; exec tee -a "$err" >&2) &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

# ---- which peers can run ------------------------------------------------------------------
prepare_hint="cp -r /work/shared/bench-peers /tmp/peers && (cd /tmp/peers && npm ci), then PEERS=/tmp/peers"
PEER_LIST=()
SKIPPED=()
want_peer() {  # NAME [NPM_PACKAGE]: add NAME unless its npm package is not installed in PEERS
  if [ -n "${2:-}" ] && [ ! -d "$PEERS/node_modules/$2" ]; then
    SKIPPED+=("$1 (no node_modules/$2)")
    return 0
  fi
  PEER_LIST+=("$1")
}
if mkdir -p "$PEERS/data" 2>/dev/null; then
  want_peer sqlite_limit
  want_peer http_limit
  want_peer bullmq bullmq
  if [ "$WITH_PGBOSS" = 1 ]; then want_peer pgboss pg-boss; fi
  if [ "$PEER_SCHED_S" -gt 0 ]; then want_peer cron croner; fi
  if [ ${#SKIPPED[@]} -gt 0 ]; then
    log "NOTE: skipped, as $PEERS has no npm packages installed: ${SKIPPED[*]}."
    log "      Prepare a copy: $prepare_hint"
  fi
else
  log "NOTE: PEERS=$PEERS is not writable (its scripts build into build/ and write data/ there):"
  log "      no peer runs. Prepare a copy: $prepare_hint"
fi

# ---- flared's binaries: built once here, then run.sh uses them as they are -----------------
if [ "$NO_BUILD" != 1 ]; then
  log "building flared, flare_load and flare_sched in $BUILD_DIR"
  bounded 3600 /dev/null "$OUT/build.err" cmake --build "$BUILD_DIR" --target flared flare_load flare_sched \
    || die "build failed (see $OUT/build.err)"
fi
FLARED="$BUILD_DIR/daemon/flared"
[ -x "$FLARED" ] || die "no flared in $BUILD_DIR"

SRC="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
{
  # shellcheck disable=SC1091 # the host's file, read for its name only
  echo "host: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB, $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "flared: $("$FLARED" --version 2>/dev/null | head -1) from $BUILD_DIR" \
    "(source ${SRC:-?}, its HEAD $(git -C "${SRC:-$REPO}" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "flared flags: --durability $DURABILITY --log-level warn (else defaults); MJ1_WORKERS=$MJ1_WORKERS"
  echo "cases: ${CASES[*]}; RUNS=$RUNS LAT_RATE=$LAT_RATE LAT_SECONDS=$LAT_SECONDS CAP_S=$CAP_S"
  echo "peers: ${PEER_LIST[*]:-none} from $PEERS; PEER_N=$PEER_N SQLITE_ROWS=$SQLITE_ROWS" \
    "HTTP_CONNS=\"$HTTP_CONNS\" HTTP_DURATION=$HTTP_DURATION PEER_SCHED_S=$PEER_SCHED_S"
  [ ${#SKIPPED[@]} -eq 0 ] || echo "peers skipped (no npm packages in PEERS): ${SKIPPED[*]}"
  echo "started: $(date -u +%FT%TZ)"
} >"$OUT/env.txt"

# ---- one round's steps ------------------------------------------------------------------------
# The disk's fingerprint where flared keeps its data (run.sh's scratch dirs are in $TMPDIR).
PROBE_PY='
import json, os, sys, time
path, secs, rate = os.path.join(sys.argv[1], "fdatasync.test"), float(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
buf, n, t0 = b"x" * 4096, 0, time.monotonic()
while time.monotonic() - t0 < secs:
    os.pwrite(fd, buf, 0)
    os.fdatasync(fd)
    n += 1
s = time.monotonic() - t0
# Then one sync every 1/rate s, as the latency case creates its jobs: a sync that finds the
# disk idle takes longer than one in a tight loop, and each of those creates waits for one.
waits, due = [], time.monotonic()
for i in range(int(secs * rate)):
    due += 1 / rate
    time.sleep(max(0.0, due - time.monotonic()))
    start = time.monotonic()
    os.pwrite(fd, buf, 0)
    os.fdatasync(fd)
    waits.append((time.monotonic() - start) * 1000)
os.close(fd)
os.unlink(path)
waits.sort()
at = lambda q: round(waits[min(len(waits) - 1, int(q * len(waits)))], 3)
print(json.dumps({"bench": "fdatasync_probe", "dir": sys.argv[1], "block": 4096, "n": n,
                  "seconds": round(s, 3), "per_s": round(n / s, 1),
                  "paced": {"per_s": rate, "n": len(waits), "p50_ms": at(0.5), "p99_ms": at(0.99)}}))
'
probe_fdatasync() {  # ROUND
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/flare-probe.XXXXXX")"
  bounded $((2 * PROBE_S + 30)) "$dir/out" "$OUT/fdatasync.err" \
    python3 -c "$PROBE_PY" "$dir" "$PROBE_S" "$LAT_RATE" \
    || log "round $1: the fdatasync probe failed (see $OUT/fdatasync.err)"
  keep_line "$1" "$dir/out" fdatasync
  rm -rf -- "$dir"
}

# keep_line ROUND FILE NAME: append FILE's last JSON line to OUT/NAME.jsonl with "round" added.
keep_line() {
  local line
  line="$(tail -n 1 "$2" 2>/dev/null || true)"
  if [[ "$line" != "{"* ]]; then
    log "$3 printed no JSON line in round $1 (see $OUT/$3.err)"
    return 0
  fi
  printf '{"round":%d,%s\n' "$1" "${line#\{}" >>"$OUT/$3.jsonl"
  log "round $1: $3 done"
}

run_flared() {  # ROUND
  local dir="$OUT/flared/round$1"
  local cap=$((${#CASES[@]} * (2 * (CAP_S > 150 ? CAP_S : 150) + 120)))
  mkdir -p "$dir"
  log "round $1: flared cases ${CASES[*]}"
  bounded "$cap" "$dir/run.out" "$dir/run.err" \
    env RUNS=1 OUT="$dir" NO_BUILD=1 BUILD_DIR="$BUILD_DIR" WITH_PEERS=0 "$REPO/bench/run.sh" "${CASES[@]}" \
    || log "round $1: bench/run.sh failed (exit $?; see $dir/run.err)"
}

run_peer() {  # ROUND NAME TIMEOUT_S [VAR=value...]
  local round="$1" name="$2" secs="$3" out="$OUT/$2.round$1.out"
  shift 3
  log "round $round: $name"
  printf '== round %d\n' "$round" >>"$OUT/$name.err"
  bounded "$secs" "$out" "$OUT/$name.err" env "$@" "$PEERS/$name.sh" \
    || log "round $round: $name failed (exit $?; see $OUT/$name.err)"
  keep_line "$round" "$out" "$name"
  rm -f -- "$out"
}

n_conns=$(wc -w <<<"$HTTP_CONNS")
log "issue 8: RUNS=$RUNS cases: ${CASES[*]}; peers: ${PEER_LIST[*]:-none}; raw output in $OUT"
for ((round = 1; round <= RUNS; round++)); do
  probe_fdatasync "$round"
  run_flared "$round"
  for peer in "${PEER_LIST[@]}"; do
    case "$peer" in
      sqlite_limit) run_peer "$round" sqlite_limit $((CAP_S * 10 + 120)) ROWS="$SQLITE_ROWS" ;;
      http_limit) run_peer "$round" http_limit $(((HTTP_DURATION + 30) * 5 * n_conns + 120)) \
        DURATION="$HTTP_DURATION" CONNS="$HTTP_CONNS" ;;
      bullmq) run_peer "$round" bullmq $((2 * 900 + 120)) N="$PEER_N" SCHED_SECONDS="$PEER_SCHED_S" ;;
      pgboss) run_peer "$round" pgboss $((2 * 1200 + 300)) N="$PEER_N" WINDOW_S="$PGBOSS_WINDOW_S" ;;
      cron) run_peer "$round" cron $((PEER_SCHED_S + 120)) SECONDS_RUN="$PEER_SCHED_S" ;;
    esac
  done
done
echo "finished: $(date -u +%FT%TZ)" >>"$OUT/env.txt"

python3 "$REPO/bench/summarize_issue8.py" "$OUT" | tee "$OUT/table.md"
log "raw output and table.md in $OUT"
echo "$OUT"
