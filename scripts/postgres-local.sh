#!/usr/bin/env bash
# A throw-away PostgreSQL for trying the cluster queue on one machine: its data and socket in a
# folder of its own (default .build/postgres-local), listening on that Unix socket only.
# Usage: scripts/postgres-local.sh [start|stop|status|url]   (start is the default)
# Environment: TRENZA_PG_DIR (the folder), TRENZA_PG_PORT (names the socket; default 5432).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${TRENZA_PG_DIR:-$here/../.build/postgres-local}
port=${TRENZA_PG_PORT:-5432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[[ -x $bin/pg_ctl ]] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 2; }

# initdb and the server refuse to run as root: under root they run as the postgres user.
as_server() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql://postgres@/postgres?host=$dir/sock&port=$port"; }

case ${1:-start} in
  start)
    mkdir -p "$dir/sock"
    dir=$(cd "$dir" && pwd)
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$dir"
      as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
    fi
    if ! as_server "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-k '$dir/sock' -p $port -c listen_addresses=''" start >/dev/null
    fi
    echo "PostgreSQL is running (data and log in $dir). Queue URL:"
    url
    ;;
  stop)
    if [[ -f $dir/data/postmaster.pid ]]; then
      as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
      echo "stopped"
    else
      echo "not running"
    fi
    ;;
  status) as_server "$bin/pg_ctl" -D "$dir/data" status ;;
  url) dir=$(cd "$dir" && pwd); url ;;
  *) echo "usage: $0 [start|stop|status|url]" >&2; exit 2 ;;
esac
