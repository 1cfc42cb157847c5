#!/usr/bin/env bash
# Installs the Debian packages flare builds and tests with (bookworm). Idempotent.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config
          libcli11-dev nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev libcpp-httplib-dev
          libssl-dev libhowardhinnant-date-dev libjemalloc-dev tzdata libgtest-dev libgmock-dev curl
          libcurl4-openssl-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "installing: ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
