#!/usr/bin/env bash
# with-postgres.sh COMMAND...: run COMMAND against a private, throw-away
# PostgreSQL cluster, then stop it (also when COMMAND fails or is interrupted).
#
# Installs PostgreSQL from the distribution's packages when no server binaries
# are found, runs initdb in a temporary directory, listens on 127.0.0.1 on a
# free port only, and exports the env vars of the `postgres` target of
# profiles/profiles.yml (RETENTION_PG_HOST/PORT/USER/PASSWORD/DBNAME) to COMMAND.
set -euo pipefail

find_pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return 0; fi
    done
    return 1
}

PG_BIN=$(find_pg_bin || true)
if [[ -z "$PG_BIN" ]]; then
    echo "with-postgres: PostgreSQL server not found; installing it from Debian packages" >&2
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql
    PG_BIN=$(find_pg_bin)
fi

WORK=$(mktemp -d -t retention-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
PGUSER_NAME=retention
# initdb and postgres refuse to run as root: run the server as the `postgres`
# system user in that case.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        chown -R postgres "$WORK"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

stop_cluster() {
    local code=$?
    if [[ -f "$WORK/data/postmaster.pid" ]]; then
        as_server_user "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$code"
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

chmod 755 "$WORK"
as_server_user "$PG_BIN/initdb" -D "$WORK/data" -U "$PGUSER_NAME" --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
as_server_user "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk "{print \$3}") on 127.0.0.1:$PORT ($WORK)" >&2

export RETENTION_PG_HOST=127.0.0.1 RETENTION_PG_PORT=$PORT RETENTION_PG_USER=$PGUSER_NAME
export RETENTION_PG_PASSWORD="" RETENTION_PG_DBNAME=retention
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$PGUSER_NAME" "$RETENTION_PG_DBNAME"
"$@"
