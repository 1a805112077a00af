#!/usr/bin/env bash
# trend app's own logs through `trend ingest` and back out at GET /api/v1/usage: the access log
# carries rt= and run=, ingest loads it (and the JSON error log), and the app serves the report.
# Usage: app_usage_test.sh TREND SOURCE_DIR
set -u
trend=$(realpath "$1")
source_dir="$2"
tmp=$(mktemp -d)
source "$source_dir/tests/cli/app_helpers.sh"

"$trend" app --port 0 --threads 2 --access-log "$tmp/access.log" --error-log "$tmp/first.log" \
  --usage-db "$tmp/usage.db" 2>"$tmp/first.err" &
pids+=($!)
for _ in $(seq 200); do
  port=$(sed -n 's/.*"address":"[^"]*:\([0-9]*\)".*/\1/p' "$tmp/first.log" 2>/dev/null | head -n 1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "trend app did not start: $(cat "$tmp/first.err")"
csv=$(json_string "$source_dir/demo/demo_returns.csv")
config=$(json_string "$source_dir/config/demo.yml")
printf '{"config": "%s", "csv": "%s"}' "$config" "$csv" >"$tmp/run.json"
for _ in 1 2 3; do http "$port" POST /api/v1/runs "$tmp/run.json" >"$tmp/run.out"; done
run_id=$(header X-Run-Id <"$tmp/run.out")
[ -n "$run_id" ] || fail "no X-Run-Id: $(head -n 5 "$tmp/run.out")"
http "$port" GET "/api/v1/runs/$run_id" >/dev/null
http "$port" GET /healthz >/dev/null
http "$port" GET /api/v1/usage >"$tmp/empty.out"
head -n 1 "$tmp/empty.out" | grep -q " 200 " || fail "usage before any ingest: $(head -n 1 "$tmp/empty.out")"
sleep 0.2
grep -q "\"POST /api/v1/runs HTTP/1.1\" 200 .* rt=[0-9.]* run=$run_id\$" "$tmp/access.log" ||
  fail "access log line without rt= and run=: $(grep POST "$tmp/access.log" | head -n 1)"
echo "ok   access log lines end with rt= and run="

"$trend" ingest -q --db "$tmp/usage.db" --format combined "$tmp/access.log" 2>"$tmp/ingest.err" ||
  fail "ingest: $(cat "$tmp/ingest.err")"
"$trend" ingest -q --db "$tmp/usage.db" --format trend-errors "$tmp/first.log" 2>"$tmp/ingest.err" ||
  fail "ingest error log: $(cat "$tmp/ingest.err")"
http "$port" GET "/api/v1/usage?since=1h&top=5" >"$tmp/usage.out"
head -n 1 "$tmp/usage.out" | grep -q " 200 " || fail "usage: $(head -n 1 "$tmp/usage.out")"
sed '1,/^\r$/d' "$tmp/usage.out" >"$tmp/usage.json"
/usr/bin/python3 - "$tmp/usage.json" "$run_id" <<'PY' || fail "usage report: $(cat "$tmp/usage.json")"
import json, sys
report = json.load(open(sys.argv[1]))
run_id = sys.argv[2]
assert report["requests"] >= 6, report["requests"]
runs = [r for r in report["routes"] if r["method"] == "POST" and r["route"] == "/api/v1/runs"]
assert runs and runs[0]["requests"] == 3 and runs[0]["p99_ms"] is not None, runs
assert report["most_run_analyses"][0]["run_id"] == run_id, report["most_run_analyses"]
assert report["most_run_analyses"][0]["requests"] == 4  # three runs and one fetch
assert any(e["event"] == "listening" for e in report["error_events"]), report["error_events"]
PY
echo "ok   GET /api/v1/usage: routes with percentiles, the most-run analysis, error log events"
# The CLI's report is the same document.
"$trend" ingest report --db "$tmp/usage.db" --json --since 1h --top 5 >"$tmp/cli.json"
/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); a.pop("since"); b.pop("since"); assert a == b' \
  "$tmp/usage.json" "$tmp/cli.json" || fail "API and CLI reports differ"
echo "ok   the API serves what trend ingest report --json prints"
http "$port" GET "/api/v1/usage?since=tomorrow" | head -n 1 | grep -q " 400 " || fail "bad since not a 400"
http "$port" GET "/api/v1/usage?colour=red" | head -n 1 | grep -q " 400 " || fail "unknown parameter not a 400"
echo "ok   bad parameters: 400"
start_app second
http "$port" GET /api/v1/usage | head -n 1 | grep -q " 404 " || fail "usage without --usage-db not a 404"
echo "ok   without --usage-db: 404 naming the flag"
