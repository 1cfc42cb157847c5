#!/bin/sh
# The seed 000 Postman collection (tests/contract/), run by newman in its own order against a
# real flared: Signup, Login (its script puts the token into apiKey, so every later request
# runs as the new user), Jobs, Billing, Account, Metrics, Workers. check_newman_report.js
# then holds each answer to the contract. Skips (exit 77) only when newman is not installed
# (scripts/deps.sh installs it).
# Usage: newman_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
if ! command -v newman >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "SKIP: newman (or node) not found; scripts/deps.sh installs it with npm"
  exit 77
fi
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
flared="$build/daemon/flared"
"$flared" --listen 127.0.0.1:0 --data-dir "$work/data" --signup open >"$work/flared.log" 2>&1 &
pid=$!
# Wait (bounded: 20 s) for flared to write the address it bound.
tries=0
until [ -s "$work/data/flared.addr" ]; do
  tries=$((tries + 1))
  if [ "$tries" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "flared did not start:"; cat "$work/flared.log"; exit 1
  fi
  sleep 0.1
done
addr=$(cat "$work/data/flared.addr")
"$flared" --listen 127.0.0.1:0 --data-dir "$work/routes" --print-routes >"$work/routes.jsonl" 2>>"$work/flared.log"
status=0
newman run "$source/tests/contract/flare_v1.postman_collection.json" \
  --env-var "baseUrl=http://$addr" --timeout-request 30000 --disable-unicode --color off \
  --reporters cli,json --reporter-json-export "$work/report.json" >"$work/newman.txt" 2>&1 || status=$?
node "$source/tests/contract/check_newman_report.js" "$work/report.json" "$work/routes.jsonl" || status=1
if [ "$status" -ne 0 ]; then
  cat "$work/newman.txt"
  echo "--- flared log"; tail -n 50 "$work/flared.log"
  exit 1
fi
echo "newman: the seed 000 collection passed"
