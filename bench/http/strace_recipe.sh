#!/usr/bin/env bash
# System calls per request of trend app serving cached results: strace -c -f on the running
# server while wrk sends a fixed number of requests (a Lua counter stops wrk).
#   bash bench/http/strace_recipe.sh [REQUESTS]   (needs strace and wrk; loopback only)
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=${1:-20000}
trend=build/release/src/cli/trend
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TREND_PIPELINE_PROXY_SIMPLE=1 $trend app --port "$port" --access-log '' & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 0.5
strace -c -f -p "$server" -o /tmp/trend_strace.txt & tracer=$!
sleep 0.5
wrk -t1 -c50 -d30s -s <(cat <<LUA
local n = 0
request = function() n = n + 1; if n > $requests then wrk.thread:stop() end; return wrk.format("GET", "/healthz") end
LUA
) "http://127.0.0.1:$port/" >/dev/null
kill -INT $tracer; wait $tracer 2>/dev/null || true
total=$(awk '/total/{print $3}' /tmp/trend_strace.txt)
echo "system calls for $requests requests: $total ($(echo "scale=2; $total / $requests" | bc) per request)"
head -n 15 /tmp/trend_strace.txt
