#!/usr/bin/env bash
# `trend app` as a process: it starts on a free port, logs "listening" to its structured error
# log, answers /healthz on loopback, and exits 0 on SIGTERM after logging "stopped".
set -u
trend="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$trend" app --port 0 --access-log "$tmp/access.log" --error-log "$tmp/error.log" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q '"event":"listening"' "$tmp/error.log" 2>/dev/null && break; sleep 0.05; done
address=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$tmp/error.log" | head -n 1)
port=${address##*:}
[ -n "$port" ] || { echo "FAIL no listening line"; kill "$pid"; exit 1; }
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
reply=$(cat <&3)
exec 3<&-
echo "$reply" | head -n 1 | grep -q "200" || { echo "FAIL /healthz: $reply"; kill "$pid"; exit 1; }
# A user agent with a quote cannot end its field or forge a log line (escaped as nginx does).
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: evil" 200 1 "-" "x\r\nConnection: close\r\n\r\n' >&3
cat <&3 >/dev/null
exec 3<&-
# A second server on the same port is refused (our listeners share ports with SO_REUSEPORT,
# which would otherwise split the connections between the two), unless --reuse-port asks.
"$trend" app --port "$port" --error-log '' >/dev/null 2>"$tmp/second.err"; status=$?
[ "$status" -eq 2 ] && grep -q "the port is in use by another server (--reuse-port shares it)" "$tmp/second.err" ||
  { echo "FAIL second server on port $port: status $status, $(cat "$tmp/second.err")"; kill "$pid"; exit 1; }
"$trend" app --port "$port" --reuse-port --error-log "$tmp/shared.log" 2>/dev/null &
shared=$!
for _ in $(seq 100); do grep -q '"event":"listening"' "$tmp/shared.log" 2>/dev/null && break; sleep 0.05; done
grep -q "\"address\":\"127.0.0.1:$port\"" "$tmp/shared.log" ||
  { echo "FAIL --reuse-port did not listen: $(cat "$tmp/shared.log")"; kill "$pid" "$shared"; exit 1; }
kill -TERM "$shared"; wait "$shared"
kill -TERM "$pid"
wait "$pid"; status=$?
[ "$status" -eq 0 ] || { echo "FAIL exit status $status after SIGTERM"; exit 1; }
grep -q '"event":"stopped"' "$tmp/error.log" || { echo "FAIL no stopped line"; exit 1; }
grep -q '"GET /healthz HTTP/1.1" 200' "$tmp/access.log" || { echo "FAIL no access log line"; exit 1; }
grep -qF '"evil\x22 200 1 \x22-\x22 \x22x"' "$tmp/access.log" ||
  { echo "FAIL user agent not escaped: $(tail -n 1 "$tmp/access.log")"; exit 1; }
[ "$(wc -l < "$tmp/access.log")" -eq 2 ] || { echo "FAIL access log lines"; exit 1; }
echo "ok   app cli"
