#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL cluster on loopback for the merchant's database tests.
#
# Usage:   eval "$(bash scripts/postgres.sh)"     # exports TEST_POSTGRES_URL when a server is up
# Stdout carries only the `export TEST_POSTGRES_URL=...` line; every message goes to stderr, so the eval is safe.
# Idempotent: a cluster already running from an earlier call is reused. Fails soft: when PostgreSQL cannot be
# installed or started it says why on stderr and exits 0 with nothing exported, and the PostgreSQL tests skip.
# Settings: PG_TEST_DIR (default /tmp/cryptopay-test-pg), PG_TEST_PORT (default 55432).
# Options: --print-env (the default behaviour, accepted for clarity); --stop stops the cluster.
set -uo pipefail

case "${1:-}" in
  ""|--print-env) ;;
  --stop) ;;
  *) echo "usage: bash scripts/postgres.sh [--print-env|--stop]" >&2; exit 2 ;;
esac

DIR=${PG_TEST_DIR:-/tmp/cryptopay-test-pg}
PORT=${PG_TEST_PORT:-55432}
DB=merchant_test
RUN_AS=postgres

say() { echo "postgres.sh: $*" >&2; }
soft_exit() { say "$*; PostgreSQL tests will be skipped"; exit 0; }

find_bindir() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)
  [ -n "$initdb" ] && dirname "$initdb"
}

BIN=$(find_bindir)
if [ -z "$BIN" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    soft_exit "no PostgreSQL server binaries and no apt-get to install them"
  fi
  if [ "$(id -u)" != 0 ]; then
    soft_exit "PostgreSQL is not installed and installing it needs root"
  fi
  say "installing the Debian package postgresql (apt-get update first)"
  export DEBIAN_FRONTEND=noninteractive
  if ! timeout 90 apt-get update -qq >&2 || ! timeout 100 apt-get install -y -qq postgresql >&2; then
    soft_exit "apt-get could not install postgresql"
  fi
  BIN=$(find_bindir)
  [ -n "$BIN" ] || soft_exit "postgresql installed but initdb not found"
fi

# The server refuses to run as root, so the cluster belongs to an unprivileged user.
if [ "$(id -u)" = 0 ]; then
  id "$RUN_AS" >/dev/null 2>&1 || useradd --system --home-dir "$DIR" --shell /usr/sbin/nologin "$RUN_AS" \
    || soft_exit "cannot create the user $RUN_AS"
  as_owner() { runuser -u "$RUN_AS" -- "$@"; }
  mkdir -p "$DIR" && chown "$RUN_AS" "$DIR" && chmod 700 "$DIR"
else
  as_owner() { "$@"; }
  mkdir -p "$DIR" && chmod 700 "$DIR"
fi

DATA=$DIR/data
if [ "${1:-}" = --stop ]; then
  [ -s "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" -m fast stop >&2 || true
  exit 0
fi
if [ ! -s "$DATA/PG_VERSION" ]; then
  say "creating a throwaway cluster in $DATA"
  # trust is acceptable only because the server listens on 127.0.0.1 and a private socket directory and
  # holds nothing but test data; it also keeps any password out of the URL and so out of logs.
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null 2>&1 \
    || soft_exit "initdb failed"
fi

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  say "starting PostgreSQL on 127.0.0.1:$PORT"
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=300 -c fsync=off" start >/dev/null 2>&1 \
    || soft_exit "the server did not start (see $DIR/server.log)"
fi

if ! as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'" 2>/dev/null | grep -q 1; then
  as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" 2>/dev/null || soft_exit "createdb failed"
fi

say "PostgreSQL ready on 127.0.0.1:$PORT, database $DB"
echo "export TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
