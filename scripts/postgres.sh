#!/usr/bin/env bash
# A throwaway PostgreSQL server for segmart's Postgres target and engine tests.
#
#   eval "$(bash scripts/postgres.sh start)"   # prints export lines: SEGMART_PG_HOST/PORT/USER/DBNAME
#   bash scripts/postgres.sh stop              # stops it and deletes its data directory
#
# Installs Debian's postgresql when it is missing and we may (as root, or sudo without a
# password), initdb's a data directory under a temp folder (locale C.UTF-8: text sorts by code
# point, as in DuckDB; time zone UTC), and starts it on 127.0.0.1 only, on a free port, with
# trust authentication for the superuser `segmart` and a database `segmart`. The state of the
# running server is kept in .postgres.env (git-ignored) so `stop` finds it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${SEGMART_PG_STATE:-$root/.postgres.env}"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  fi
}

install_postgres() {
  if [ -n "$(pg_bindir)" ]; then return 0; fi
  if ! apt_install postgresql postgresql; then
    log "PostgreSQL is not installed and could not be: install a PostgreSQL server" \
      "(sudo apt-get install postgresql)"
    exit 1
  fi
}

free_port() {
  "${PYTHON:-python3}" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# initdb and postgres refuse to run as root: run them as the `postgres` system user then.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  if [ -f "$state" ]; then
    # shellcheck disable=SC1090
    . "$state"
    if as_server_user "$SEGMART_PG_BINDIR/pg_ctl" status -D "$SEGMART_PG_DATA" >/dev/null 2>&1; then
      log "already running on 127.0.0.1:$SEGMART_PG_PORT"
      grep '^export SEGMART_PG_\(HOST\|PORT\|USER\|DBNAME\)=' "$state"
      return 0
    fi
  fi
  install_postgres
  local bindir tmp data port
  bindir="$(pg_bindir)"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/segmart-pg.XXXXXX")"
  data="$tmp/data"
  port="$(free_port)"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$tmp"; fi
  chmod 755 "$tmp"
  as_server_user "$bindir/initdb" -D "$data" -U segmart -A trust --locale=C.UTF-8 \
    --encoding=UTF8 >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
  as_server_user "$bindir/pg_ctl" start -D "$data" -w -t 60 -l "$tmp/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c timezone=UTC -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
    || { cat "$tmp/server.log" >&2; exit 1; }
  "$bindir/psql" -h 127.0.0.1 -p "$port" -U segmart -d postgres -qAt \
    -c "create database segmart" -c "alter database segmart set timezone to 'UTC'" >/dev/null
  cat >"$state" <<EOF
export SEGMART_PG_HOST=127.0.0.1
export SEGMART_PG_PORT=$port
export SEGMART_PG_USER=segmart
export SEGMART_PG_DBNAME=segmart
SEGMART_PG_BINDIR=$bindir
SEGMART_PG_DATA=$data
SEGMART_PG_TMP=$tmp
EOF
  log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data: $data)"
  grep '^export ' "$state"
}

stop() {
  if [ ! -f "$state" ]; then
    log "no server recorded in $state: nothing to stop"
    return 0
  fi
  # shellcheck disable=SC1090
  . "$state"
  as_server_user "$SEGMART_PG_BINDIR/pg_ctl" stop -D "$SEGMART_PG_DATA" -m fast -w >/dev/null \
    2>&1 || log "server was not running"
  case "$SEGMART_PG_TMP" in
    */segmart-pg.*) rm -rf "$SEGMART_PG_TMP" ;;
  esac
  rm -f "$state"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
