#!/usr/bin/env bash
# System calls per request of trend app serving cached results: strace -c -f on the running
# server while wrk sends requests for a few seconds; calls are divided by the requests served.
#   bash bench/http/strace_recipe.sh [SECONDS]   (needs strace and wrk; loopback only)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
trend=build/release/src/cli/trend
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TREND_PIPELINE_PROXY_SIMPLE=1 $trend app --port "$port" --access-log '' & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 0.5
strace -c -f -p "$server" -o /tmp/trend_strace.txt & tracer=$!
sleep 0.5
requests=$(wrk -t1 -c50 -d"${seconds}s" "http://127.0.0.1:$port/healthz" | awk '/requests in/{print $1}')
kill -INT $tracer; wait $tracer 2>/dev/null || true
total=$(awk '/total/{print $4}' /tmp/trend_strace.txt)
echo "system calls for $requests requests: $total ($(echo "scale=2; $total / $requests" | bc) per request)"
head -n 15 /tmp/trend_strace.txt
