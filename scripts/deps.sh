#!/usr/bin/env bash
# Installs the Debian packages flare builds and tests with (bookworm). Idempotent.
#   scripts/deps.sh        what building and running flared needs
#   scripts/deps.sh test   that, plus what the test suite alone needs (newman)
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config
          libcli11-dev nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev libcpp-httplib-dev
          libssl-dev libcurl4-openssl-dev libhowardhinnant-date-dev libjemalloc-dev tzdata libgtest-dev libgmock-dev curl)
# PostgreSQL (issue 9): libpq for flared's --db postgresql://… backend, and the server,
# whose initdb/pg_ctl the PostgreSQL tests use to start a throwaway cluster (scripts/pg-cluster.sh).
packages+=(libpq-dev postgresql-15)
# clang + its runtime libraries for the libFuzzer targets, clang-format for the format check.
packages+=(clang libclang-rt-14-dev clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# With "test" (scripts/test.sh): newman, which runs the seed 000 Postman collection against
# flared (tests/integration/newman_test.sh). Debian does not package it, so it comes from npm,
# only when missing; node and npm come from apt unless some node (e.g. NodeSource's, with its
# own npm) is there. Running flared needs none of it.
if [ "${1:-}" = "test" ] && ! command -v newman >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "installing: newman (npm)" >&2
  "${sudo_cmd[@]}" npm install --global --no-audit --no-fund newman >/dev/null
fi
