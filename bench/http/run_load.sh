#!/usr/bin/env bash
# Load figures for the README: trend app (simple proxy mode) against nginx serving the same
# JSON document as a static file and uvicorn+FastAPI (2 workers), side by side, with wrk on the
# same 2 cores. Traffic goes only to 127.0.0.1.
#   bash bench/http/run_load.sh [SECONDS]   (after `make build`; --install adds nginx/uvicorn/wrk)
#   CONNS="1000 1000 1000" bash bench/http/run_load.sh 8   (only those rows, e.g. to see the spread)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--install" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends \
    wrk nginx-light python3-fastapi python3-uvicorn python3-uvloop python3-httptools </dev/null
  shift
fi
seconds=${1:-10}
trend=build/release/src/cli/trend
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; }

port=$(free_port)
TREND_PIPELINE_PROXY_SIMPLE=1 $trend app --port "$port" --access-log '' &
pids+=($!)
wait_port "$port"
base="http://127.0.0.1:$port"
dataset=$(curl -s -X POST -H 'Content-Type: text/csv' --data-binary @demo/demo_returns.csv "$base/api/v1/datasets" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
body=$(python3 -c 'import json,yaml; print(json.dumps({"config": yaml.safe_load(open("config/demo.yml")), "dataset": "'"$dataset"'"}))')
run_id=$(curl -s -D - -o "$work/doc.json" -X POST -H 'Content-Type: application/json' \
  -d "$body" "$base/api/v1/runs" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-run-id"{print $2}')

nginx_port=$(free_port)
mkdir -p "$work/www" "$work/nginx"
cp "$work/doc.json" "$work/www/doc.json"
chmod 755 "$work" "$work/www"; chmod 644 "$work/www/doc.json"  # nginx workers run unprivileged
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$nginx_port; root $work/www; location / { default_type application/json; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
pids+=($!)
uvicorn_port=$(free_port)
# Debian's python3 has python3-uvicorn (another python3 may come first in PATH).
DOC="$work/doc.json" /usr/bin/python3 -m uvicorn --app-dir bench/http fastapi_app:app --host 127.0.0.1 \
  --port "$uvicorn_port" --workers 2 --log-level warning --no-access-log &
pids+=($!)
wait_port "$nginx_port"; wait_port "$uvicorn_port"; sleep 1
# Every server must serve the same document before it is measured.
for url in "$base/api/v1/runs/$run_id" "http://127.0.0.1:$nginx_port/doc.json" \
           "http://127.0.0.1:$uvicorn_port/doc"; do
  cmp -s <(curl -s "$url") "$work/doc.json" || { echo "$url does not serve the document" >&2; exit 1; }
done

run() {  # run LABEL CONNECTIONS URL [SCRIPT] -> one table row
  local label=$1 conns=$2 url=$3 script=${4:-}
  local out
  out=$(RUN_ID=$run_id DATASET_ID=$dataset wrk -t2 -c"$conns" -d"${seconds}s" --latency --timeout 10s \
    ${script:+-s "$script"} "$url" 2>&1 || true)
  local rps p99 errors non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  errors=$(echo "$out" | awk '/Socket errors/{print $0}' | sed 's/ *Socket errors: //')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  printf '| %-48s | %6s | %10s | %9s | %s | %s |\n' "$label" "$conns" "$rps" "$p99" \
    "${errors:-none}" "${non2xx:-0}"
}

echo "wrk -t2, ${seconds} s per row, all on this machine's 2 cores; document $(wc -c < "$work/doc.json") bytes"
echo "| case | conns | requests/s | p99 | socket errors | non-2xx |"
echo "|---|---|---|---|---|---|"
for c in ${CONNS:-50 1000 10000}; do
  run "trend app: cached GET /api/v1/runs/{id}" "$c" "$base/" bench/http/cached_run.lua
  run "nginx: the same document as a static file" "$c" "http://127.0.0.1:$nginx_port/doc.json"
  run "uvicorn+FastAPI (2 workers): same document" "$c" "http://127.0.0.1:$uvicorn_port/doc"
done
run "trend app: GET /healthz" 1000 "$base/healthz"
run "trend app: POST /api/v1/runs, cold cache (demo)" 50 "$base/" bench/http/post_run.lua

# Server CPU per request: user+sys ticks of the server process over a fixed wrk run.
cpu_per_request() {  # PIDS... -> microseconds of server CPU per request
  local url=$1 script=$2; shift 2
  local before after requests
  before=$(for p in "$@"; do awk '{s+=$14+$15} END{print s}' /proc/$p/stat; done | paste -sd+ | bc)
  requests=$(RUN_ID=$run_id wrk -t2 -c1000 -d"${seconds}s" ${script:+-s "$script"} "$url" 2>&1 |
    awk '/requests in/{print $1}' || true)
  after=$(for p in "$@"; do awk '{s+=$14+$15} END{print s}' /proc/$p/stat; done | paste -sd+ | bc)
  echo "scale=2; ($after - $before) * 1000000 / $(getconf CLK_TCK) / $requests" | bc
}
nginx_pids=$(pgrep -f "nginx: worker process" | tr '\n' ' ')
echo
echo "Server CPU per request at 1000 connections (us): trend app $(cpu_per_request "$base/" bench/http/cached_run.lua "${pids[0]}"), nginx workers $(cpu_per_request "http://127.0.0.1:$nginx_port/doc.json" "" $nginx_pids)"
