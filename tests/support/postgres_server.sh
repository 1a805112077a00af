# A throwaway PostgreSQL for tests and benchmarks: `source` this file, then
#   pg_start DIR     initdb + postgres in DIR on a free 127.0.0.1 port; sets PG_URL, PG_PID
#   pg_stop          stops it (by PID) and removes nothing (the caller owns DIR)
# As root it runs the server as the `postgres` system user (PostgreSQL refuses root), which
# Debian's postgresql package creates. Trust authentication on 127.0.0.1 only.
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local dir="$1"
  [ -x "$PG_BIN/initdb" ] || { echo "postgres_server.sh: no PostgreSQL server binaries (install postgresql)" >&2; return 77; }
  mkdir -p "$dir/data" "$dir/socket"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$dir"; chmod 755 "$dir"; fi
  pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -A trust -U trend --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  local port
  port=$(pg_free_port)
  pg_as_owner "$PG_BIN/postgres" -D "$dir/data" -p "$port" -k "$dir/socket" \
    -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
    -c shared_buffers=256MB -c max_wal_size=4GB >"$dir/server.log" 2>&1 &
  PG_PID=$!
  for _ in $(seq 100); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
      PG_URL="postgresql://trend@127.0.0.1:$port/postgres"
      export PG_URL PG_PID
      return 0
    fi
    kill -0 "$PG_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$dir/server.log" >&2
  return 1
}

pg_stop() {
  [ -n "${PG_PID:-}" ] || return 0
  kill -INT "$PG_PID" 2>/dev/null   # fast shutdown
  for _ in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
  # Under `set -e` a server already gone must not end the caller (it ended the benchmark
  # before its table was written).
  kill -9 "$PG_PID" 2>/dev/null || true
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=""
}
