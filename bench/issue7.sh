#!/usr/bin/env bash
# Issue 7's benchmarks at flared's default flags, round-robin with the peers' ceilings:
#   export   flare_export: 1,000,000 jobs exported as JSONL and as CSV (rows/s, peak RSS)
#   webhooks bench/webhooks.sh: deliveries/s to a loopback receiver, 1 and 100 endpoints
#   sse      flare_sse: 1,000 subscribers of /flare/v1/events at 100 events/s (p50/p99)
#   peers    the SQLite floor (sqlite_limit.sh) and the loopback HTTP ceiling (http_limit.sh)
#            from ../shared/bench-peers, once per round, in the same pass
# Each round runs every case once; RUNS rounds (3). Raw output goes to OUT (a new temp dir,
# printed); the closing table of each line is what bench/RESULTS.md quotes (medians).
# CASES picks some of them (default: all); FLARED another flared binary (to compare builds).
#   bench/issue7.sh        RUNS=3 CASES="export webhooks sse peers" BUILD_DIR=build DELIVERIES=10000
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
RUNS="${RUNS:-3}"
CASES=" ${CASES:-export webhooks sse peers} "
FLARED="${FLARED:-$BUILD_DIR/daemon/flared}"
PEERS="${PEERS:-/work/shared/bench-peers}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/flare-issue7.XXXXXX")}"
EXPORT_DIR="$OUT/export-data"  # filled once with 1M jobs, reused by every round (--reuse)
mkdir -p "$OUT"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
trap 'rm -rf -- "$EXPORT_DIR"' EXIT

cmake --build "$BUILD_DIR" --target flared flare_export flare_webhooks flare_sse >/dev/null
for round in $(seq "$RUNS"); do
  if [[ $CASES == *" export "* ]]; then
    log "round $round: export"
    timeout 900 "$BUILD_DIR/bench/flare_export" --flared "$FLARED" \
      --dir "$EXPORT_DIR" --jobs 1000000 --reuse >>"$OUT/export.jsonl" 2>>"$OUT/export.err"
  fi
  if [[ $CASES == *" webhooks "* ]]; then
    log "round $round: webhooks"
    BUILD_DIR="$BUILD_DIR" DELIVERIES="${DELIVERIES:-10000}" timeout 600 "$REPO/bench/webhooks.sh" \
      >>"$OUT/webhooks.jsonl" 2>>"$OUT/webhooks.err"
  fi
  if [[ $CASES == *" sse "* ]]; then
    log "round $round: sse"
    timeout 300 "$BUILD_DIR/bench/flare_sse" --flared "$FLARED" \
      --dir "$(mktemp -d "$OUT/sse.XXXXXX")" --subscribers 1000 --rate 100 --seconds 10 \
      >>"$OUT/sse.jsonl" 2>>"$OUT/sse.err"
  fi
  [[ $CASES == *" peers "* ]] || continue
  log "round $round: peers"
  # A peer that cannot run here (http_limit needs nginx) is reported in peers.err, not fatal.
  CAP_S=20 timeout 900 "$PEERS/sqlite_limit.sh" >>"$OUT/sqlite_limit.jsonl" 2>>"$OUT/peers.err" ||
    log "sqlite_limit failed (see $OUT/peers.err)"
  DURATION=5 CONNS="16 64" timeout 600 "$PEERS/http_limit.sh" >>"$OUT/http_limit.jsonl" \
    2>>"$OUT/peers.err" || log "http_limit failed (see $OUT/peers.err)"
done
log "raw output in $OUT"
echo "$OUT"
