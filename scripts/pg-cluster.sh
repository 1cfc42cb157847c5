#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the PostgreSQL tests (issue 9), so they need no
# server installed and configured by hand, and never touch a real one:
#   scripts/pg-cluster.sh start <dir>   create and start a cluster in <dir>, create database
#                                       `flare`, print its URI (also written to <dir>/uri)
#   scripts/pg-cluster.sh stop <dir>    stop it at once and remove <dir>
# The cluster listens on 127.0.0.1 only, on a free port this script picks, with its unix
# socket inside <dir>, and trusts every connection (loopback only: it holds test data).
# fsync and synchronous_commit keep their defaults (on), as in production: the tests must
# see the durability flared will run with. As root, PostgreSQL runs as the `postgres` user
# (from the postgresql-15 package): it refuses to run as root.
# Both commands are idempotent: start on a running cluster prints its URI again; stop on
# a missing one does nothing. Every wait is bounded (pg_ctl -t).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MARKER=.flare-pg-cluster   # only a directory carrying this is ever removed
WAIT_SECONDS=30            # pg_ctl's bound on start and stop
PORT_TRIES=8               # a picked port can be taken before postgres binds it

die() {
  echo "pg-cluster: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop <dir>" >&2
  exit 2
}

[ $# -eq 2 ] || usage
command=$1
dir=$2
[ -n "$dir" ] || usage
dir=$(realpath -m -- "$dir")
# Where the server's own files live (data, socket, logs). As root the server runs as
# `postgres`, which cannot reach a directory under a private checkout (root's home, a CI
# work dir), so they go to a directory of their own under /tmp named after <dir>; <dir>
# keeps the URI. Otherwise both are <dir>.
if [ "$(id -u)" -eq 0 ]; then
  home=/tmp/flare-pg-$(printf '%s' "$dir" | md5sum | cut -c1-16)
else
  home=$dir
fi
data="$home/data"

# Runs a PostgreSQL program as the user the server runs as.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$home" && runuser -u postgres -- "$@")
  else
    (cd "$home" && "$@")
  fi
}

running() {
  [ -f "$data/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# A TCP port on 127.0.0.1 that nobody listens on now (postgres may still lose it to a race:
# start_server then tries another).
free_port() {
  local port tries
  for tries in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1 after 50 tries"
}

start_server() {
  local port attempt
  for attempt in $(seq 1 "$PORT_TRIES"); do
    port=$(free_port)
    # The per-run settings go on the command line, so a retry with another port needs no
    # edit of postgresql.conf.
    if as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$home/server.log" -w -t "$WAIT_SECONDS" \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$home'" \
      start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      return 0
    fi
    # A port lost to a race shows as a bind failure; anything else will not heal by retrying.
    grep -q "could not bind\|Address already in use" "$home/server.log" 2>/dev/null ||
      die "postgres did not start (attempt $attempt); its log, $home/server.log, ends with:
$(tail -n 15 "$home/server.log" 2>/dev/null)"
  done
  die "postgres did not start: $PORT_TRIES ports were taken before it could bind them"
}

start() {
  if running && [ -s "$dir/uri" ]; then
    cat "$dir/uri"
    return 0
  fi
  [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found: install postgresql-15 (scripts/deps.sh)"
  if [ -e "$dir" ]; then
    # A cluster of ours that is not running (a crash, a reboot) is thrown away and made anew;
    # anything else in the way is not ours to delete.
    [ -f "$dir/$MARKER" ] || [ -z "$(ls -A "$dir")" ] ||
      die "$dir exists and is not a cluster made by this script; choose another directory"
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  touch "$dir/$MARKER"
  if [ "$home" != "$dir" ]; then
    getent passwd postgres >/dev/null || die "running as root needs the postgres user (postgresql-15)"
    rm -rf "$home"
    mkdir -m 700 "$home"
    chown postgres: "$home"
  fi
  # --no-sync skips only initdb's own final flush (a throwaway cluster, seconds saved); the
  # server it sets up keeps fsync on. The superuser is `flare`, so the URI needs no password.
  as_pg "$PG_BIN/initdb" -D "$data" -U flare --auth=trust --no-sync --encoding=UTF8 \
    --locale=C >"$home/initdb.log" 2>&1 ||
    die "initdb failed; its output ($home/initdb.log) ends with:
$(tail -n 15 "$home/initdb.log")"
  # Trust, but on loopback and the private socket only.
  printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" >"$data/pg_hba.conf"
  start_server
  local port
  port=$(cat "$dir/port")
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U flare flare >/dev/null 2>&1 ||
    die "createdb flare failed on port $port"
  echo "postgresql://flare@127.0.0.1:$port/flare" >"$dir/uri"
  chmod a+r "$dir/uri"
  cat "$dir/uri"
}

stop() {
  [ -e "$dir" ] || return 0
  [ -f "$dir/$MARKER" ] || die "$dir is not a cluster made by this script; not removing it"
  if running; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t "$WAIT_SECONDS" stop >/dev/null 2>&1 ||
      die "pg_ctl stop failed; see $home/server.log"
  fi
  rm -rf "$dir" "$home"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
