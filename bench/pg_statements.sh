#!/usr/bin/env bash
# Where PostgreSQL's time goes under one flare_load case (issue 9): a throwaway cluster with
# pg_stat_statements preloaded, one flared at its defaults on a fresh database, the case,
# then the statements by total time, how many updates of the busiest tables were HOT, and
# the CPU the server's processes and flared used. us_each is per row written or read, or per
# call for a statement that returns no rows.
#
#   bench/pg_statements.sh                       4 workers x 50 draining 20,000 jobs
#   bench/pg_statements.sh create --n 20000 --conns 16
#   NODES=3 bench/pg_statements.sh process --n 20000 --workers 12 --max-jobs 50 --ack-list 1
#
# The figures include the case's own set-up (a process case loads its backlog first).
# Knobs: BUILD_DIR (<repo>/build), TOP (30 statements), NODES (1: flared processes on the one
# database, the load spread over them; flared's CPU in the load's line is the first node's,
# the last line sums them all). Loopback only; everything started here is stopped in the
# EXIT trap.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
TOP="${TOP:-30}"
NODES="${NODES:-1}"
CASE_ARGS=("$@")
[ ${#CASE_ARGS[@]} -gt 0 ] || CASE_ARGS=(process --n 20000 --workers 4 --max-jobs 50 --ack-list 1)

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/flare-pg-statements.XXXXXX")"
NODE_PIDS=()
cleanup() {
  local pid
  for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  "$REPO/scripts/pg-cluster.sh" stop "$SCRATCH/cluster" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

uri="$("$REPO/scripts/pg-cluster.sh" start "$SCRATCH/cluster" | tail -1)"
psql -q "$uri" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
# pg_ctl restart keeps the options the cluster was started with (postmaster.opts).
data_dir="$(psql -qAt "$uri" -c "SHOW data_directory")"
if [ "$(id -u)" -eq 0 ]; then
  (cd / && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$data_dir" -w -t 30 restart >/dev/null)
else
  /usr/lib/postgresql/15/bin/pg_ctl -D "$data_dir" -w -t 30 restart >/dev/null
fi
psql -q "$uri" -c "CREATE EXTENSION pg_stat_statements"

ADDRS=""
for ((node = 0; node < NODES; node++)); do
  dir="$SCRATCH/node$node"
  key_flags=()  # every node is given the first one's webhook key
  [ "$node" -eq 0 ] || key_flags=(--webhook-key-file "$SCRATCH/node0/webhook.key")
  "$BUILD_DIR/daemon/flared" --listen 127.0.0.1:0 --data-dir "$dir" --db "$uri" \
    --db-pool-size 24 --log-level warn "${key_flags[@]}" >"$SCRATCH/flared$node.log" 2>&1 &
  NODE_PIDS+=($!)
  for _ in $(seq 100); do [ -s "$dir/flared.addr" ] && break; sleep 0.1; done
  [ -s "$dir/flared.addr" ] || { tail -5 "$SCRATCH/flared$node.log" >&2; exit 1; }
  ADDRS+="${ADDRS:+,}$(cat "$dir/flared.addr")"
done
psql -q "$uri" -c "SELECT pg_stat_statements_reset()" >/dev/null

# CPU ticks (1/100 s) of every process of the server's user.
server_ticks() {
  local pid
  for pid in $(pgrep -u "$(stat -c %U "$data_dir")" postgres); do
    awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true
  done | awk '{s += $1} END {print s + 0}'
}
# The same for the flared nodes together.
node_ticks() {
  local pid
  for pid in "${NODE_PIDS[@]}"; do awk '{print $14 + $15}' "/proc/$pid/stat"; done |
    awk '{s += $1} END {print s + 0}'
}
before=$(server_ticks)
nodes_before=$(node_ticks)
timeout 300 "$BUILD_DIR/bench/flare_load" "${CASE_ARGS[@]}" --addr "$ADDRS" \
  --key "$(cat "$SCRATCH/node0/admin.key")" --cap-s 60 --server-pid "${NODE_PIDS[0]}"
after=$(server_ticks)
nodes_after=$(node_ticks)
echo "PostgreSQL's processes: $(((after - before) * 10)) ms of CPU;" \
  "flared's ($NODES node(s)): $(((nodes_after - nodes_before) * 10)) ms"

psql "$uri" -c "SELECT calls, round(total_exec_time::numeric, 1) AS ms, rows,
  round((1000 * total_exec_time / greatest(rows, calls))::numeric, 1) AS us_each,
  left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
  FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $TOP"
psql "$uri" -c "SELECT pg_stat_force_next_flush()" >/dev/null
psql "$uri" -c "SELECT relname AS table, n_tup_ins AS inserted, n_tup_upd AS updated,
  n_tup_hot_upd AS hot, pg_size_pretty(pg_total_relation_size(relid)) AS size
  FROM pg_stat_user_tables WHERE relname IN ('jobs', 'runs', 'events') ORDER BY relname"
