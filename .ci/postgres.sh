# Sourced by .ci/run: a throw-away PostgreSQL server (Debian's postgresql, installed with apt-get when missing) for
# the suite's PostgreSQL pass. initdb into a temporary directory, a free port on 127.0.0.1, trust authentication for
# the local superuser; `postgres_stop` stops it and removes the directory. FFEMU_TEST_POSTGRES_URL tells the tests.
postgres_start() {
  local bin log=/tmp/ci-postgres.log
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    local install="DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql"
    { sh -c "$install" || { apt-get update -qq && sh -c "$install"; }; } >"$log" 2>&1
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  if [ -z "$bin" ]; then
    echo "PostgreSQL unavailable (no Debian postgresql package, see $log): the PostgreSQL pass will skip"
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/ffemu-pg.XXXXXX)
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then  # initdb refuses to run as root: the package's postgres user runs the server
    chown postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  PG_CTL="$bin/pg_ctl"
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local options="-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=500"
  options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"  # throw-away data
  if ! "${PG_AS[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >>"$log" 2>&1 \
    || ! "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o "$options" start >>"$log" 2>&1; then
    echo "PostgreSQL could not start (see $log): the PostgreSQL pass will skip"
    rm -rf "$PG_DIR"
    PG_DIR=""
    return 1
  fi
  export FFEMU_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
}

postgres_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
}
