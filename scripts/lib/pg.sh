# Private PostgreSQL 15 clusters for scripts/run, scripts/test, perf/ and the
# integration tests: one data dir, socket dir and log per name under
# <repo>/.local/<name>/, created once and reused. Source it and call the pg_*
# functions, or run it: `scripts/lib/pg.sh start|stop|status|createdb|recreatedb NAME [PORT] [DB]`.
# Never touches the system's own clusters (no pg_ctlcluster, no /etc).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_REPO=${PG_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# The system user that owns and runs the cluster: initdb refuses root.
pg_owner() {
  if [[ $(id -u) -eq 0 ]]; then echo postgres; else id -un; fi
}

# Runs a command as the cluster owner, with the caller's working directory
# replaced by / (the owner may not be able to enter it).
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Prints the directory that holds cluster NAME. Normally <repo>/.local/NAME;
# when the cluster owner cannot reach the repo (a checkout under /root, mode
# 700) or the socket path would be too long for a unix socket, a directory
# under /var/tmp keyed by the repo path instead. We do not loosen the
# permissions of the user's home to make the repo reachable.
pg_cluster_dir() {
  local name=$1 dir="$PG_REPO/.local/$1"
  mkdir -p "$PG_REPO/.local"
  # 20 = "/sock/.s.PGSQL.65535"; sun_path holds 107 bytes.
  if (( ${#dir} + 20 <= 107 )) && pg_as_owner test -x "$PG_REPO/.local" 2>/dev/null; then
    echo "$dir"
    return
  fi
  local hash
  hash=$(printf '%s' "$PG_REPO" | sha1sum | cut -c1-12)
  echo "/var/tmp/challenged-$hash/$name"
}

pg_log() { echo "pg: $*" >&2; }

# Quotes a value for postgresql.conf.
pg_conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# pg_cluster_start NAME PORT [DB]
# Starts (initdb on first use) cluster NAME on 127.0.0.1:PORT and waits until
# it accepts connections; creates database DB if missing. Sets PG_DIR,
# PG_SOCKDIR, PG_PORT, PG_LOGFILE for the caller. Idempotent: a cluster that is
# already running from this data dir is restarted so PORT takes effect.
pg_cluster_start() {
  local name=$1 port=$2 db=${3:-}
  local dir owner
  dir=$(pg_cluster_dir "$name")
  owner=$(pg_owner)
  PG_DIR=$dir
  PG_SOCKDIR=$dir/sock
  PG_PORT=$port
  PG_LOGFILE=$dir/postgres.log
  if [[ $dir != "$PG_REPO/.local/$name" ]]; then
    pg_log "cluster '$name' lives in $dir (the postgres user cannot reach $PG_REPO/.local, or the path is too long for a socket)"
  fi

  mkdir -p "$dir/sock"
  if [[ $(id -u) -eq 0 ]]; then
    chown "$owner" "$dir" "$dir/sock"
    chmod 700 "$dir"
    # The fallback's parent must let the owner through.
    [[ $dir == /var/tmp/* ]] && chmod 711 "$(dirname "$dir")"
  fi

  if [[ ! -s $dir/data/PG_VERSION ]]; then
    pg_log "initdb $dir/data"
    rm -rf "$dir/data"
    pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    echo "include_if_exists = 'challenged.conf'" | pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
  fi

  # Rewritten on every start so the port and paths follow the caller.
  pg_as_owner tee "$dir/data/challenged.conf" >/dev/null <<EOF
# Written by scripts/lib/pg.sh on every start; edits are lost.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = $(pg_conf_quote "$dir/sock")
timezone = 'UTC'
log_timezone = 'UTC'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
EOF

  if pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    pg_log "cluster '$name' was running; restarting it on port $port"
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  if ! pg_port_free "$port"; then
    pg_log "port $port on 127.0.0.1 is already in use; choose another (see README.md)"
    return 1
  fi
  pg_as_owner touch "$PG_LOGFILE" 2>/dev/null || true
  if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$PG_LOGFILE" -w -t 60 start >/dev/null; then
    pg_log "cluster '$name' failed to start; last lines of $PG_LOGFILE:"
    tail -n 20 "$PG_LOGFILE" >&2 || true
    return 1
  fi
  pg_log "cluster '$name' up on 127.0.0.1:$port (data $dir/data)"
  if [[ -n $db ]]; then
    pg_db_create "$db"
  fi
}

# pg_cluster_stop NAME: fast shutdown, waiting for it. Quiet when not running.
pg_cluster_stop() {
  local dir
  dir=$(pg_cluster_dir "$1")
  [[ -s $dir/data/PG_VERSION ]] || return 0
  if pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    pg_log "cluster '$1' stopped"
  fi
}

pg_cluster_running() {
  local dir
  dir=$(pg_cluster_dir "$1")
  [[ -s $dir/data/PG_VERSION ]] && pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# True when nothing listens on 127.0.0.1:PORT.
pg_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# psql against the cluster started last (PG_PORT), as the postgres role.
pg_psql() {
  PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

pg_db_create() {
  local db=$1
  if [[ -z $(pg_psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '${db//\'/\'\'}'") ]]; then
    pg_psql -d postgres -c "CREATE DATABASE \"${db//\"/\"\"}\""
    pg_log "database '$db' created"
  fi
}

# Drops (terminating its sessions) and creates DB: a fresh schema per test run.
pg_db_recreate() {
  local db=$1
  pg_psql -d postgres -c "DROP DATABASE IF EXISTS \"${db//\"/\"\"}\" WITH (FORCE)"
  pg_psql -d postgres -c "CREATE DATABASE \"${db//\"/\"\"}\""
  pg_log "database '$db' recreated"
}

# Command-line use (tests start and stop throwaway clusters this way).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cmd=${1:-}
  case $cmd in
    start) pg_cluster_start "$2" "$3" "${4:-}" ;;
    stop) pg_cluster_stop "$2" ;;
    status) pg_cluster_running "$2" ;;
    dir) pg_cluster_dir "$2" ;;
    createdb) PG_PORT=$3; pg_db_create "$4" ;;
    recreatedb) PG_PORT=$3; pg_db_recreate "$4" ;;
    *)
      echo "usage: $0 start NAME PORT [DB] | stop NAME | status NAME | dir NAME | createdb NAME PORT DB | recreatedb NAME PORT DB" >&2
      exit 2
      ;;
  esac
fi
