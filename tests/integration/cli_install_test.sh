#!/bin/sh
# `cmake --install BUILD --prefix P --strip`, as README says to install: the systemd user unit
# runs P's flared (not the configure-time prefix), with a raised descriptor limit and without
# system-only ordering, and the installed binaries carry no debug info. A DESTDIR install
# keeps DESTDIR out of the unit.
# Usage: cli_install_test.sh BUILD_DIR
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" --strip >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }
unit=$tmp/prefix/lib/systemd/user/flared.service
[ -f "$unit" ] || fail "no unit at $unit"
grep -qx "ExecStart=$tmp/prefix/bin/flared --listen 127.0.0.1:5100" "$unit" ||
  fail "ExecStart does not run the installed flared: $(grep ExecStart "$unit")"
grep -qx 'LimitNOFILE=65536' "$unit" || fail "no LimitNOFILE=65536"
grep -qx 'NoNewPrivileges=yes' "$unit" || fail "no NoNewPrivileges=yes"
if grep -q '^After=network.target' "$unit"; then fail "After=network.target in a user unit"; fi
grep -q 'loginctl enable-linger' "$unit" || fail "the unit does not mention enable-linger"
for binary in flared flarectl; do
  [ -x "$tmp/prefix/bin/$binary" ] || fail "$binary not installed"
  if readelf -S "$tmp/prefix/bin/$binary" | grep -q '\.debug_'; then
    fail "$binary still has debug sections"
  fi
done
"$tmp/prefix/bin/flared" --version >/dev/null || fail "stripped flared does not run"
"$tmp/prefix/bin/flarectl" --help >/dev/null || fail "stripped flarectl does not run"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Only the unit's own syntax: the user manager itself is not running here.
  if systemd-analyze --user verify "$unit" 2>&1 | grep -i 'unknown\|invalid\|failed to parse'; then
    fail "systemd-analyze finds errors in the unit"
  fi
fi

DESTDIR=$tmp/stage cmake --install "$build" --prefix /opt/flare --strip >"$tmp/install2.log" 2>&1 ||
  { cat "$tmp/install2.log" >&2; fail "DESTDIR install failed"; }
grep -qx 'ExecStart=/opt/flare/bin/flared --listen 127.0.0.1:5100' \
  "$tmp/stage/opt/flare/lib/systemd/user/flared.service" || fail "DESTDIR leaked into ExecStart"
echo "ok: unit and stripped binaries under $tmp/prefix"
