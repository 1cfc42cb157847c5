#!/usr/bin/env bash
# Webhook delivery throughput: starts flared (default flags, plus --allow-private-targets so
# it may reach the loopback receiver) and runs flare_webhooks with 1 and with 100 endpoints.
#   bench/webhooks.sh                  BUILD_DIR=build DELIVERIES=20000
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO/build}"
DELIVERIES="${DELIVERIES:-20000}"
cmake --build "$BUILD_DIR" --target flared flare_webhooks >/dev/null
for endpoints in 1 100; do
  dir="$(mktemp -d "${TMPDIR:-/tmp}/flare-wh-bench.XXXXXX")"
  "$BUILD_DIR/daemon/flared" --listen 127.0.0.1:0 --data-dir "$dir" --allow-private-targets \
    --log-level warn >"$dir/flared.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -s "$dir/flared.addr" ] && [ -s "$dir/admin.key" ] && break; sleep 0.1; done
  "$BUILD_DIR/bench/flare_webhooks" --addr "$(cat "$dir/flared.addr")" --key "$(cat "$dir/admin.key")" \
    --endpoints "$endpoints" --deliveries "$DELIVERIES" --server-pid "$pid" --cap-s 60 || true
  kill -TERM "$pid"
  wait "$pid" || true
  rm -rf -- "$dir"
done
