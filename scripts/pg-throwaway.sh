#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on 127.0.0.1 for the test suite.
#   scripts/pg-throwaway.sh start        installs Debian's postgresql if missing, starts a cluster
#                                        on the first free port from 55432 (or MOTCUA_PG_PORT)
#                                        and prints its DATABASE_URL
#   scripts/pg-throwaway.sh stop PORT    stops the cluster on PORT and removes its folder
# Two runs at once get two clusters. initdb refuses to run as root, so as root the cluster
# runs as the postgres user.
set -euo pipefail

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Claims a port and its folder: mkdir is atomic, so two concurrent starts never share one.
claim() {
  PORT="${MOTCUA_PG_PORT:-55432}"
  if [ -n "${MOTCUA_PG_PORT:-}" ]; then
    DIR="/tmp/motcua-pg-$PORT"; mkdir -p "$DIR"; return
  fi
  until ! listening "$PORT" && mkdir "/tmp/motcua-pg-$PORT" 2>/dev/null; do
    PORT=$((PORT + 1))
  done
  DIR="/tmp/motcua-pg-$PORT"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start() {
  if [ -z "$(pg_bin)" ]; then
    echo "installing Debian's postgresql" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local bin; bin="$(pg_bin)"
  # A port free when claimed can be taken before the server binds it (the kernel hands ports
  # of this range to outgoing connections too): then the next one is tried.
  local tries=0 failed=()
  while :; do
    claim
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_owner "$bin/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    # Durability is not needed for a throw-away test database; speed is.
    if as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    if [ -n "${MOTCUA_PG_PORT:-}" ] || [ "$tries" -ge 10 ]; then
      echo "PostgreSQL did not start; its log: $DIR/log" >&2
      exit 1
    fi
    failed+=("$DIR")  # kept until a port works, so that claim moves past it
  done
  [ "${#failed[@]}" -gt 0 ] && rm -rf "${failed[@]}"
  echo "postgres://postgres@127.0.0.1:$PORT/motcua"
}

stop() {
  PORT="${1:-${MOTCUA_PG_PORT:-55432}}"
  DIR="/tmp/motcua-pg-$PORT"
  local bin; bin="$(pg_bin)"
  if [ -d "$DIR/data" ]; then
    as_owner "$bin/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop PORT" >&2; exit 2 ;;
esac
