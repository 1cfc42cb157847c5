#!/usr/bin/env bash
# Installs dependencies, builds, and starts flared on 127.0.0.1:5100 with its embedded
# SQLite database in ~/.local/share/flare (override with FLARE_DATA_DIR or flags).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build -DFLARE_BUILD_TESTS=OFF -DFLARE_BUILD_BENCH=OFF
echo "flared: http://127.0.0.1:5100  (flarectl: ./build/cli/flarectl; Ctrl-C stops)" >&2
exec ./build/daemon/flared --listen 127.0.0.1:5100 "$@"
