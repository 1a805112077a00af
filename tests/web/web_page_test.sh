#!/usr/bin/env bash
# The web page of `trend app` in a real browser (headless Chromium): /?demo uploads the
# bundled demo, runs it and draws it; /?run=<id> draws a finished multi-period backtest. The
# numbers in the page's table must be those of the result document. Then the page's data
# transforms run under Node's test runner on documents `trend run --json` wrote.
set -u
trend="$1"
root="$2"
tmp=$(mktemp -d)
source "$root/tests/cli/app_helpers.sh"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || fail "chromium is not installed (scripts/bootstrap.sh installs it)"
command -v node >/dev/null || fail "node is not installed (scripts/bootstrap.sh installs it)"

# dump PATH -> the page's DOM after its scripts have run
dump() {
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$tmp/profile" --virtual-time-budget=15000 --dump-dom \
    "http://127.0.0.1:$port$1" 2>"$tmp/browser.err"
}

start_app web
single=$(dump "/?demo")
echo "$single" | grep -q 'data-rendered="single"' ||
  fail "/?demo did not draw a result: $(echo "$single" | grep -o 'data-error="[^"]*"' | head -n 1)"
echo "$single" | grep -q 'data-error=' && fail "/?demo shows an error"
for canvas in growth drawdown weights; do
  # Chart.js sizes a canvas it has drawn on (style width/height).
  echo "$single" | grep -q "id=\"$canvas\"[^>]*style=\"[^\"]*height" || fail "no $canvas chart"
done
# The table shows the out-of-sample CAGR of the same analysis `trend run --json` gives.
"$trend" run -c "$root/config/demo.yml" --json "$tmp/single.json" >/dev/null 2>&1 ||
  fail "trend run --json failed"
cagr=$(node -e 'const r=require(process.argv[1]); console.log((100*r.out_user_stats.cagr).toFixed(2)+"%")' "$tmp/single.json")
echo "$single" | grep -q "<td>CAGR</td><td>[^<]*</td><td>[^<]*</td><td>$cagr</td>" ||
  fail "the page's out-of-sample CAGR is not $cagr"

# /?demo=multi runs the backtest as a job (POST /api/v1/jobs) with a progress bar, and draws
# it when the job is done; /?demo=sweep runs the page's grid as a sweep job and tables it.
job=$(dump "/?demo=multi")
echo "$job" | grep -q 'data-job-state="SUCCESS"' ||
  fail "/?demo=multi: the job did not finish: $(echo "$job" | grep -o 'data-error="[^"]*"' | head -n 1)"
echo "$job" | grep -q 'data-rendered="multi"' || fail "/?demo=multi did not draw the backtest"
echo "$job" | grep -Eq '<progress id="progress" max="([0-9]+)" value="\1"' ||
  fail "the progress bar is not full: $(echo "$job" | grep -o '<progress[^>]*>')"
echo "$job" | grep -q 'Done: [0-9]* of [0-9]* periods' || fail "no 'Done: N of N periods' status"
swept=$(dump "/?demo=sweep")
echo "$swept" | grep -q 'data-sweep-rows="48"' ||
  fail "/?demo=sweep: $(echo "$swept" | grep -o 'data-error="[^"]*"' | head -n 1)"
[ "$(echo "$swept" | grep -o '<tr><td>' | wc -l)" -ge 20 ] || fail "the sweep table has under 20 rows"

# /?job=<id> shows a finished job's result again.
printf '{"kind":"multi_period","config":"%s","csv":"%s"}' "$(json_string "$root/config/demo.yml")" \
  "$(json_string "$root/demo/demo_returns.csv")" >"$tmp/job_request.json"
job_path=$(http "$port" POST /api/v1/jobs "$tmp/job_request.json" | header Location)
[ -n "$job_path" ] || fail "POST /api/v1/jobs gave no Location"
for _ in $(seq 100); do
  http "$port" GET "$job_path" | grep -q '"state":"SUCCESS"' && break
  sleep 0.1
done
shown=$(dump "/?job=${job_path##*/}")
echo "$shown" | grep -q 'data-rendered="multi"' ||
  fail "/?job=<id> did not draw the job: $(echo "$shown" | grep -o 'data-error="[^"]*"' | head -n 1)"

# A multi-period backtest, run through the API, shown by its address.
printf '{"config":"%s","csv":"%s","multi_period":true}' "$(json_string "$root/config/demo.yml")" \
  "$(json_string "$root/demo/demo_returns.csv")" >"$tmp/multi_request.json"
run_id=$(http "$port" POST /api/v1/runs "$tmp/multi_request.json" | header X-Run-Id)
[ -n "$run_id" ] || fail "POST /api/v1/runs (multi-period) gave no run id"
multi=$(dump "/?run=$run_id")
echo "$multi" | grep -q 'data-rendered="multi"' || fail "/?run=<id> did not draw the backtest"
for canvas in growth drawdown periods contributions; do
  echo "$multi" | grep -q "id=\"$canvas\"[^>]*style=\"[^\"]*height" || fail "no $canvas chart"
done
echo "$multi" | grep -q "periods)</h2>" || fail "no period count in the title"

# An unknown run shows the API's error, not a blank page.
missing=$(dump "/?run=0000")
echo "$missing" | grep -q 'data-error="404 not found' || fail "an unknown run shows no error"

# A server with a token: the page itself loads (it holds no data); an API call without the
# token shows the 401 and reveals the token field.
printf '0123456789abcdef0123\n' >"$tmp/token"
start_app guarded --token "$tmp/token"
guarded=$(dump "/?demo")
echo "$guarded" | grep -q 'data-error="401 unauthorized' ||
  fail "a token-guarded server: $(echo "$guarded" | grep -o 'data-error="[^"]*"' | head -n 1)"
echo "$guarded" | grep -q '<label id="auth">' || fail "the token field stays hidden after a 401"

"$trend" run --multi-period -c "$root/config/demo.yml" --json "$tmp/multi.json" >/dev/null 2>&1 ||
  fail "trend run --multi-period --json failed"
"$trend" config schema >"$tmp/schema.json" || fail "trend config schema failed"
TREND_SCHEMA_JSON="$tmp/schema.json" TREND_RUN_JSON_DIR="$tmp" node --test "$root/web/test/" >"$tmp/node.out" 2>&1 ||
  fail "node --test web/test: $(grep -E 'not ok|Error' "$tmp/node.out" | head -n 5)"
grep -q "^# skipped 0" "$tmp/node.out" || fail "node tests were skipped"
echo "ok   web page"
