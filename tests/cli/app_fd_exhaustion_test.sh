#!/usr/bin/env bash
# `trend app` out of file descriptors: the accept loop must wait, not spin a core, and the
# server must serve again once descriptors are free. Loopback only, bounded in time.
set -u
trend="$1"
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL $1"; exit 1; }
prlimit --nofile=48 "$trend" app --port 0 --threads 1 --access-log '' --error-log "$tmp/app.log" \
  2>"$tmp/app.err" &
pid=$!
pids+=("$pid")
port=""
for _ in $(seq 200); do
  port=$(sed -n 's/.*"address":"[^"]*:\([0-9]*\)".*/\1/p' "$tmp/app.log" 2>/dev/null | head -n 1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "the server did not start: $(cat "$tmp/app.err")"
# Hold 80 idle connections (more than the server may open) for 2 s, and measure the server's
# CPU time meanwhile.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
python3 - "$port" <<'PY' &
import socket, sys, time
held = []
for _ in range(80):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1))
    except OSError:
        break
time.sleep(2.5)
PY
holder=$!
pids+=("$holder")
sleep 0.5
before=$(cpu)
sleep 1.5
after=$(cpu)
ticks=$(( after - before ))
hz=$(getconf CLK_TCK)
# A spinning accept loop burns about 1.5 s of CPU here; waiting costs next to nothing.
[ "$ticks" -lt $(( hz / 4 )) ] || fail "the server used $ticks ticks (of $hz/s) while out of descriptors"
wait "$holder"
# Descriptors are free again once the server has drained the closed connections: it answers.
reply=""
for _ in $(seq 50); do
  reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
            printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 &&
            timeout 5 cat <&3) 2>/dev/null)
  echo "$reply" | head -n 1 | grep -q " 200" && break
  sleep 0.2
done
echo "$reply" | head -n 1 | grep -q " 200" || fail "no answer after the connections closed: $reply"
echo "ok   app out of descriptors ($ticks ticks in 1.5 s)"
