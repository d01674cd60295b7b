# shellcheck shell=bash
# Start a throwaway PostgreSQL server for the storage tests and export TEST_POSTGRES_URL.
#
#   source .ci/postgres.sh      # from .ci/run (or by hand); safe to source again
#
# Installs Debian's `postgresql` package when no server binaries are present (needs root and the
# package mirror), creates a cluster under $TEST_POSTGRES_DIR (default /tmp/emotion-bot-pg) that
# listens only on 127.0.0.1:$TEST_POSTGRES_PORT (default 54329), run as the `postgres` user when
# sourced by root, creates the role and database, and exports
#   TEST_POSTGRES_URL=postgresql+psycopg://emotion_bot:emotion_bot@127.0.0.1:54329/emotion_bot_test
# A second run finds the server running and only re-exports the URL. The role may CREATEDB: the
# tests create one database per test. The server is tuned for tests (fsync off): never keep data in it.
# Stop it with:  runuser -u postgres -- pg_ctl -D /tmp/emotion-bot-pg/data stop

_emotion_bot_pg() {
    local port="${TEST_POSTGRES_PORT:-54329}"
    local dir="${TEST_POSTGRES_DIR:-/tmp/emotion-bot-pg}"
    local role=emotion_bot password=emotion_bot db=emotion_bot_test
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

    if [ -z "$bindir" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "postgres.sh: PostgreSQL is not installed; install Debian's postgresql package" >&2
            return 1
        fi
        echo "postgres.sh: installing postgresql (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            postgresql >/dev/null || return 1
        bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
        [ -n "$bindir" ] || { echo "postgres.sh: no server binaries after install" >&2; return 1; }
    fi

    # initdb and the server refuse to run as root: use the package's postgres user then.
    local -a as_pg=()
    if [ "$(id -u)" = 0 ]; then
        as_pg=(runuser -u postgres --)
    fi
    local data="$dir/data"

    if ! (cd / && "${as_pg[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1); then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
        if [ ! -s "$data/PG_VERSION" ]; then
            (cd / && "${as_pg[@]}" "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C \
                --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1) || {
                echo "postgres.sh: initdb failed:" >&2
                tail -n 20 "$dir/initdb.log" >&2
                return 1
            }
        fi
        local opts="-c listen_addresses=127.0.0.1 -p $port -k $dir"
        opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        (cd / && "${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
            -o "$opts" start >/dev/null) || {
            echo "postgres.sh: the server did not start (port $port taken?):" >&2
            tail -n 20 "$dir/server.log" >&2
            return 1
        }
        echo "postgres.sh: PostgreSQL started on 127.0.0.1:$port (data in $data)" >&2
    else
        echo "postgres.sh: reusing the running PostgreSQL in $data" >&2
    fi

    local -a psql=("${as_pg[@]}" "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres
        -v ON_ERROR_STOP=1 -qAt)
    (cd / && "${psql[@]}" -c "DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
                CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
            END IF;
        END \$\$;") || return 1
    if [ "$(cd / && "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
        (cd / && "${psql[@]}" -c "CREATE DATABASE $db OWNER $role") || return 1
    fi

    export TEST_POSTGRES_URL="postgresql+psycopg://$role:$password@127.0.0.1:$port/$db"
    echo "postgres.sh: TEST_POSTGRES_URL=$TEST_POSTGRES_URL" >&2
}

_emotion_bot_pg
_emotion_bot_pg_rc=$?
unset -f _emotion_bot_pg
if [ "$_emotion_bot_pg_rc" != 0 ]; then
    unset _emotion_bot_pg_rc
    return 1 2>/dev/null || exit 1
fi
unset _emotion_bot_pg_rc
