#!/usr/bin/env bash
# flared on PostgreSQL (issue 9): the load program (flare_load) against 1 and 3 flared nodes
# sharing one PostgreSQL 15 database, beside pg-boss measured in the same pass, round-robin.
#
#   bench/pg.sh                  RUNS rounds; each round runs every case once, then pg-boss
#   RUNS=5 bench/pg.sh create_c16_n1 process_mj50_n3
#
# Cases (each on a fresh database of one throwaway cluster; flared at its defaults):
#   create_c16_nK     N_CREATE16 creates from 16 keep-alive clients, awaited, spread over K nodes
#   batch_c1_nK       N_BATCH jobs in batches of 1000 from 1 client
#   process_mj50_nK   a BACKLOG of jobs, then 4 workers per node (max_jobs 50, list acks) drain it
# K is 1 or 3. The cluster (scripts/pg-cluster.sh) keeps PostgreSQL's defaults: fsync on,
# synchronous_commit on. pg-boss runs through ../shared/bench-peers/pgboss.sh (its own cluster
# per run, same defaults) with FLAVORS=pgboss10_node20 unless PGBOSS_FLAVORS says otherwise;
# PGBOSS=0 skips it. Every loop is bounded by count and by time (CAP_S); everything started
# here is stopped by PID in the EXIT trap. Output: one JSON line per run in $OUT/pg.jsonl,
# pg-boss's in $OUT/pgboss.jsonl, and a table of medians (bench/summarize_pg.py).
#
# Knobs: RUNS (3), N_CREATE16 (20000), N_BATCH (100000), BACKLOG (20000), CAP_S (60),
#   POOL (24: --db-pool-size per node, so 3 nodes stay under max_connections 100),
#   BUILD_DIR (<repo>/build), NO_BUILD (0), PEERS (/work/shared/bench-peers), OUT (a temp dir).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
N_CREATE16="${N_CREATE16:-20000}"
N_BATCH="${N_BATCH:-100000}"
BACKLOG="${BACKLOG:-20000}"
CAP_S="${CAP_S:-60}"
POOL="${POOL:-24}"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
NO_BUILD="${NO_BUILD:-0}"
PEERS="${PEERS:-/work/shared/bench-peers}"
PGBOSS="${PGBOSS:-1}"
PGBOSS_FLAVORS="${PGBOSS_FLAVORS:-pgboss10_node20}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/flare-pg-bench.XXXXXX")}"
ALL_CASES=(create_c16_n1 create_c16_n3 batch_c1_n1 process_mj50_n1 process_mj50_n3)
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=("${ALL_CASES[@]}")

log() { echo "[pg-bench] $*" >&2; }
die() { log "$*"; exit 1; }
# The tables take the median of every line in OUT: an earlier run's lines would count too.
[ -z "$(find "$OUT" -name '*.jsonl' -print -quit 2>/dev/null)" ] ||
  die "OUT=$OUT holds the results of an earlier run; name a new directory"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/flare-pg-scratch.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$REPO/scripts/pg-cluster.sh" stop "$SCRATCH/cluster" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

FLARED="$BUILD_DIR/daemon/flared"
LOAD="$BUILD_DIR/bench/flare_load"
if [ "$NO_BUILD" != 1 ]; then
  cmake --build "$BUILD_DIR" --target flared flare_load >/dev/null || die "build failed"
fi
for b in "$FLARED" "$LOAD"; do [ -x "$b" ] || die "$b is not built"; done
mkdir -p "$OUT"
"$REPO/scripts/pg-cluster.sh" start "$SCRATCH/cluster" >/dev/null || die "no PostgreSQL cluster"
CLUSTER_URI="$(cat "$SCRATCH/cluster/uri")"

# A fresh database for one run; prints its URI.
fresh_database() {
  local name="bench_$1"
  psql -q "$CLUSTER_URI" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" \
    >/dev/null || die "cannot create database $name"
  echo "${CLUSTER_URI%/*}/$name"
}

# Starts K nodes on `uri`; sets ADDRS (comma-separated), KEY and NODE_PIDS.
start_nodes() {  # name count uri
  local name="$1" count="$2" uri="$3" i dir first=""
  ADDRS=""
  NODE_PIDS=()
  for ((i = 0; i < count; i++)); do
    dir="$SCRATCH/$name.node$i"
    mkdir -p "$dir"
    local -a extra=()
    [ -n "$first" ] && extra=(--webhook-key-file "$first/webhook.key")
    "$FLARED" --listen 127.0.0.1:0 --data-dir "$dir" --db "$uri" --db-pool-size "$POOL" \
      --log-level warn "${extra[@]}" >"$dir/stderr.log" 2>&1 &
    NODE_PIDS+=($!)
    PIDS+=($!)
    local t
    for ((t = 0; t < 200; t++)); do
      [ -s "$dir/flared.addr" ] && break
      kill -0 "${NODE_PIDS[-1]}" 2>/dev/null || die "flared exited: $(tail -3 "$dir/stderr.log")"
      sleep 0.05
    done
    [ -s "$dir/flared.addr" ] || die "flared did not start within 10 s"
    ADDRS+="${ADDRS:+,}$(cat "$dir/flared.addr")"
    [ -n "$first" ] || first="$dir"
  done
  KEY="$(cat "$first/admin.key")"
}

stop_nodes() {
  local pid
  for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

case_args() {  # case -> flare_load arguments
  case "$1" in
    create_c16_*) echo "create --n $N_CREATE16 --conns 16" ;;
    batch_c1_*) echo "batch --n $N_BATCH --batch 1000 --conns 1" ;;
    process_mj50_n1) echo "process --n $BACKLOG --workers 4 --max-jobs 50 --ack-list 1" ;;
    process_mj50_n3) echo "process --n $BACKLOG --workers 12 --max-jobs 50 --ack-list 1" ;;
    *) die "unknown case $1" ;;
  esac
}

run_case() {  # case round
  local name="$1" round="$2" nodes="${1##*_n}" uri line
  uri="$(fresh_database "${name}_$round")"
  start_nodes "$name.$round" "$nodes" "$uri"
  # shellcheck disable=SC2046 # the case's arguments are split on purpose
  if ! line="$(timeout $((CAP_S * 2 + 60)) "$LOAD" $(case_args "$name") --addr "$ADDRS" \
      --key "$KEY" --cap-s "$CAP_S" --server-pid "${NODE_PIDS[0]}")"; then
    log "$name round $round reported errors: $line"
  fi
  stop_nodes
  [ -n "$line" ] || { log "$name round $round printed nothing"; return 0; }
  printf '{"case":"%s","run":%d,"nodes":%d,%s\n' "$name" "$round" "$nodes" "${line#\{}" >>"$OUT/pg.jsonl"
  log "$name #$round: $line"
}

log "output in $OUT; cases: ${CASES[*]}; $RUNS rounds"
for ((round = 1; round <= RUNS; round++)); do
  for name in "${CASES[@]}"; do run_case "$name" "$round"; done
  if [ "$PGBOSS" = 1 ]; then
    log "pg-boss, round $round ($PGBOSS_FLAVORS)"
    FLAVORS="$PGBOSS_FLAVORS" timeout 900 "$PEERS/pgboss.sh" >>"$OUT/pgboss.jsonl" ||
      log "pg-boss round $round failed"
  fi
done
python3 "$REPO/bench/summarize_pg.py" "$OUT"
