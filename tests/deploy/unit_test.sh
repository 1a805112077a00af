#!/usr/bin/env bash
# deploy/trend-worker@.service with deploy/worker.env.example: the ExecStart line, with the
# settings and systemd's %i/%H filled in, is a command line `trend worker` accepts (it starts
# against a Redis of our own, names itself trend-%i@%H, and stops cleanly on SIGTERM).
# Usage: unit_test.sh TREND SOURCE_DIR
set -u
trend=$(realpath "$1")
root=$(realpath "$2")
tmp=$(mktemp -d)
redis_pid=""
worker_pid=""
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL $*"; exit 1; }

port=""
for _ in $(seq 20); do
  candidate=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
  redis-server --port "$candidate" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    >"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$candidate" ping >/dev/null 2>&1 && { port=$candidate; break; }
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$port" ] && break
done
[ -n "$port" ] || fail "could not start redis-server"

# The example settings, pointed at our Redis (no password) and a free metrics port base.
sed -e "s|redis://:CHANGE-ME@redis.internal:6379|redis://127.0.0.1:$port|" \
  -e "s|^TREND_METRICS_PORT_BASE=.*|TREND_METRICS_PORT_BASE=0|" \
  "$root/deploy/worker.env.example" >"$tmp/worker.env"
set -a; source "$tmp/worker.env"; set +a
# ExecStart as systemd expands it: continuation lines joined, ${VAR} from the file, %i and %H.
exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$root/deploy/trend-worker@.service" |
  sed -e 's/^ExecStart=//' -e 's/\\$//' | tr -d '\n')
command=$(echo "$exec_start" | sed -e "s|/usr/local/bin/trend|$trend|" -e 's/%i/0/g' -e 's/%H/host/g')
command=$(eval echo "$command")  # ${VAR} from the environment file
echo "$command" | grep -q -- "--metrics-port 00" || fail "unexpected command: $command"
command=${command/--metrics-port 00/--metrics-port 0}
$command 2>"$tmp/worker.log" &
worker_pid=$!
for _ in $(seq 200); do grep -q "consuming" "$tmp/worker.log" && break; sleep 0.05; done
grep -q "consuming trend" "$tmp/worker.log" || fail "the unit's worker did not start: $(cat "$tmp/worker.log")"
grep -q "trend-0@host" "$tmp/worker.log" || fail "the name is not trend-%i@%H: $(head -3 "$tmp/worker.log")"
kill -TERM "$worker_pid"
wait "$worker_pid"
status=$?
worker_pid=""
[ "$status" -eq 0 ] || fail "the worker exited $status on SIGTERM: $(tail -3 "$tmp/worker.log")"
echo "ok   deploy/trend-worker@.service starts a worker that stops cleanly on SIGTERM"
