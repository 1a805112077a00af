# Shared by the `trend app` process tests: start a server on a free port, talk HTTP over
# bash's /dev/tcp (no curl needed), stop everything at exit. Expects $trend and $tmp.
pids=()
cleanup() {
  local status=$? p waited=0 alive
  # Servers before the Redis they use (it was started first); SIGCONT too: a test may have
  # stopped a process (SIGSTOP), which then ignores SIGTERM until continued.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null
    kill -CONT "${pids[i]}" 2>/dev/null
  done
  # A server that does not exit within its grace period is a defect: name it, say where it is
  # stuck, and do not let it hold the test's output open until ctest's timeout.
  while :; do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ ${#alive[@]} -eq 0 ] && break
    if [ "$waited" -ge 300 ]; then
      for p in "${alive[@]}"; do
        echo "FAIL process $p did not exit 30 s after SIGTERM: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
        grep -h '^State' "/proc/$p/status" 2>/dev/null
        for t in /proc/$p/task/*; do echo "  thread ${t##*/}: $(cat "$t/comm" 2>/dev/null) in $(cat "$t/wchan" 2>/dev/null)"; done
        kill -KILL "$p" 2>/dev/null
      done
      for log in "$tmp"/*.log "$tmp"/*.err; do [ -f "$log" ] && { echo "--- $log"; tail -n 5 "$log"; }; done
      status=1
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
  exit "$status"
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
  timeout 60 cat <&3  # a server that never answers fails the test, not ctest's timeout
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
