# Shared by the `trend app` process tests: start a server on a free port, talk HTTP over
# bash's /dev/tcp (no curl needed), stop everything at exit. Expects $trend and $tmp.
pids=()
cleanup() {
  # SIGCONT too: a test may have stopped a server (SIGSTOP), which then ignores SIGTERM.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL $*"; exit 1; }

# http PORT METHOD PATH [BODY_FILE] -> the whole response (head and body) on stdout
http() {
  local port=$1 method=$2 path=$3 body=${4:-/dev/null} type=application/json
  case "$path" in /api/v1/datasets*) type=text/csv ;; esac
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %s\r\n\r\n' \
    "$method" "$path" "$type" "$(wc -c <"$body")" >&3
  cat "$body" >&3
  cat <&3
  exec 3<&-
}
header() { tr -d '\r' | awk -F': ' -v name="$1" 'tolower($1)==tolower(name){print $2; exit}'; }

# start_app NAME ARGS... -> sets $port; the server's logs go to $tmp/NAME.*
start_app() {
  local name=$1
  shift
  "$trend" app --port 0 --threads 2 --access-log '' --error-log "$tmp/$name.log" "$@" \
    2>"$tmp/$name.err" &
  pids+=($!)
  port=""
  for _ in $(seq 200); do
    port=$(sed -n 's/.*"address":"[^"]*:\([0-9]*\)".*/\1/p' "$tmp/$name.log" 2>/dev/null | head -n 1)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  fail "$name did not start: $(cat "$tmp/$name.err")"
}

# json_string FILE -> the file's text as the inside of a JSON string
json_string() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' "$1" | awk '{printf "%s\\n", $0}'; }
