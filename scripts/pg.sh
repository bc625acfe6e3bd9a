#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests of the postgres store.
#
#   eval "$(scripts/pg.sh start DIR)"   # creates (or restarts) a cluster in DIR and
#                                       # prints: export APPCONFIGD_TEST_POSTGRES=postgres://...
#   scripts/pg.sh stop DIR              # stops it (DIR stays; rm -rf it to throw it away)
#   scripts/pg.sh status DIR
#
# The cluster listens on a free loopback port (127.0.0.1 only, trust auth,
# user postgres), keeps its unix socket inside DIR, and trades durability
# for speed (fsync, synchronous_commit and full_page_writes off). initdb
# refuses to run as root, so as root the server runs as the postgres user
# and DIR is handed to that user. Only the export line goes to stdout.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
log() { echo "pg.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# PostgreSQL 15 binaries: from PATH when they are 15, else the Debian location.
pgbin=/usr/lib/postgresql/15/bin
if command -v initdb >/dev/null 2>&1 && initdb --version 2>/dev/null | grep -q ' 15\.'; then
  pgbin=$(dirname "$(readlink -f "$(command -v initdb)")")
fi
[ -x "$pgbin/initdb" ] && [ -x "$pgbin/pg_ctl" ] || die "PostgreSQL 15 not found (looked on PATH and in $pgbin); on Debian: apt-get install postgresql-15"

# as_pg runs a command as the cluster's owner: the postgres user when we
# are root (initdb and postgres refuse root), else ourselves. From / so a
# cwd the postgres user cannot read does not matter.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

dsn() { echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    return
  fi
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

running() { [ -f "$data/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case $cmd in start|stop|status) ;; *) usage ;; esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data

case $cmd in
start)
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the cluster"
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" || die "the postgres user cannot write $dir (is a parent directory private to root?)"
  fi
  # The unix socket path must fit in sun_path (107 bytes).
  [ ${#dir} -le 90 ] || die "DIR is too long for a unix socket path: $dir"
  if running; then
    log "already running in $dir"
    dsn "$(cat "$dir/port")" | sed 's/^/export APPCONFIGD_TEST_POSTGRES=/'
    exit 0
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$pgbin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$data/postgresql.conf" <<EOF

# scripts/pg.sh: a throwaway test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  # A free port can be taken between the check and the bind: try a few.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_pg "$pgbin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $port" -w -t 60 start >&2; then
      echo "$port" >"$dir/port"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/port"
      break
    fi
    log "start on port $port failed (attempt $attempt); last log lines:"
    tail -n 5 "$dir/postgres.log" >&2 || true
    port=
  done
  [ -n "$port" ] || die "could not start PostgreSQL; see $dir/postgres.log"
  # pg_ctl -w waits for the server; check TCP too, which the tests use.
  for _ in $(seq 100); do
    "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
    sleep 0.1
  done
  "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || die "PostgreSQL on port $port does not answer"
  log "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port (data in $data)"
  echo "export APPCONFIGD_TEST_POSTGRES=$(dsn "$port")"
  ;;
stop)
  if ! running; then
    log "not running in $dir"
    exit 0
  fi
  as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
  ;;
status)
  if running; then
    echo "running on 127.0.0.1:$(cat "$dir/port") (data in $data)"
  else
    echo "not running"
    exit 3
  fi
  ;;
esac
