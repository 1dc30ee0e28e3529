#!/bin/bash
# Entry point of compose/postgres: on the first start (empty $PGDATA) runs
# initdb with POSTGRES_USER / POSTGRES_PASSWORD as the superuser, creates
# POSTGRES_DB, and opens the cluster to password logins from any address;
# then, every start, execs postgres as PID 1 (extra arguments go to it).
# Runs as the postgres user; never touches a cluster that already exists.
set -euo pipefail

: "${PGDATA:?}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
password=${POSTGRES_PASSWORD:-}

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -z $password ]]; then
    echo "postgres-entrypoint: POSTGRES_PASSWORD is empty; other containers could not log in" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$password" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  cat >>"$PGDATA/postgresql.conf" <<CONF
# compose/postgres/entrypoint.sh
listen_addresses = '*'
timezone = 'UTC'
log_timezone = 'UTC'
max_connections = 300
CONF
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # A private start on the socket only, to create the database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  exists=$(psql -X -U "$user" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '${db//\'/\'\'}'")
  [[ -n $exists ]] || createdb -U "$user" -O "$user" "$db"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)"
fi

exec postgres -D "$PGDATA" "$@"
