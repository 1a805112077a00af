#!/usr/bin/env bash
# Work limits, deadlines and shutdown of one run, on `trend run` and `trend app`:
# - a run over a limit is refused before the work (exit 2 / 422 naming the limit and its flag);
#   --no-limits lifts it;
# - a run past --run-timeout is cancelled between steps and answers 503 with Retry-After;
# - SIGTERM during a long run cancels it and the server exits within --shutdown-grace.
set -u
trend="$1"
tmp=$(mktemp -d)
. "$(dirname "$0")/app_helpers.sh"

# panel FUNDS MONTHS SEED: month-end returns from 2010 (deterministic pseudo-random) and RF.
panel() {
  awk -v funds="$1" -v months="$2" -v seed="$3" 'BEGIN {
    srand(seed); printf "Date"; for (j = 0; j < funds; j++) printf ",F%d", j; print ",RF"
    split("31 28 31 30 31 30 31 31 30 31 30 31", days, " ")
    for (t = 0; t < months; t++) {
      y = 2010 + int(t / 12); m = t % 12 + 1; d = days[m]
      if (m == 2 && y % 4 == 0) d = 29
      printf "%d-%02d-%02d", y, m, d
      for (j = 0; j < funds; j++) printf ",%.5f", (rand() - 0.45) * 0.1
      print ",0.001"
    }
  }'
}
panel 600 120 7 >"$tmp/wide.csv"
cat >"$tmp/single.yml" <<'YAML'
data:
  risk_free_column: RF
sample_split:
  in_start: 2010-01
  in_end: 2016-12
  out_start: 2017-01
  out_end: 2019-12
portfolio:
  selection_mode: all
  weighting_scheme: erc
YAML
# 72 monthly periods, each an ERC over 600 funds: 13 s of work uncancelled (release build).
cat >"$tmp/multi.yml" <<'YAML'
data:
  risk_free_column: RF
portfolio:
  selection_mode: all
  weighting_scheme: erc
multi_period:
  frequency: M
  in_sample_len: 24
  out_sample_len: 1
  start: 2012-01
  end: 2019-12
YAML

# --- trend run ---
"$trend" run -c "$tmp/single.yml" --returns "$tmp/wide.csv" --no-export -q \
  --max-pairwise-funds 100 2>"$tmp/run.err"
[ $? -eq 2 ] || fail "run over max_pairwise_funds: expected exit 2"
grep -q "600 is over the work limit max_pairwise_funds = 100 (raise it with --max-pairwise-funds" \
  "$tmp/run.err" || fail "run over the limit: $(cat "$tmp/run.err")"
"$trend" run -c "$tmp/single.yml" --returns "$tmp/wide.csv" --no-export -q --max-cells 1000 \
  2>"$tmp/run.err"
[ $? -eq 2 ] && grep -q "work limit max_cells = 1000" "$tmp/run.err" ||
  fail "run over max_cells: $(cat "$tmp/run.err")"
"$trend" run --multi-period -c "$tmp/multi.yml" --returns "$tmp/wide.csv" --no-export -q \
  --max-periods 10 2>"$tmp/run.err"
[ $? -eq 2 ] && grep -q "the periods: 72 is over the work limit max_periods = 10" "$tmp/run.err" ||
  fail "run over max_periods: $(cat "$tmp/run.err")"
"$trend" run -c "$tmp/single.yml" --returns "$tmp/wide.csv" --no-export -q \
  --max-pairwise-funds 100 --no-limits --json "$tmp/lifted.json" 2>"$tmp/run.err" ||
  fail "--no-limits: $(cat "$tmp/run.err")"
grep -q '"F599"' "$tmp/lifted.json" || fail "--no-limits: every fund selected"
grep -q "warning: --max-pairwise-funds has no effect: --no-limits lifts every work limit" \
  "$tmp/run.err" || fail "a limit beside --no-limits is not reported: $(cat "$tmp/run.err")"

# trend sweep: a configuration over a limit is an error row naming it; the others run.
printf 'portfolio.weighting_scheme: [equal, erc]\n' >"$tmp/grid.yml"
"$trend" sweep -c "$tmp/single.yml" --grid "$tmp/grid.yml" --returns "$tmp/wide.csv" \
  --max-pairwise-funds 100 --out "$tmp/sweep" -q || fail "sweep with a row over a limit"
grep -q '^0,equal,ok,' "$tmp/sweep/results.csv" || fail "sweep: the equal row runs"
grep -q '^1,erc,error,.*over the work limit max_pairwise_funds = 100' "$tmp/sweep/results.csv" ||
  fail "sweep: the erc row names the limit: $(cat "$tmp/sweep/results.csv")"

# --- trend app: a work limit is a 422 naming the server's flag ---
id_of() { sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p'; }
run_body() {  # CONFIG_FILE DATASET_ID MULTI -> a POST /api/v1/runs body
  printf '{"config":"%s","dataset":"%s","multi_period":%s}' "$(json_string "$1")" "$2" "$3"
}
start_app limits --max-pairwise-funds 100
dataset=$(http "$port" POST /api/v1/datasets "$tmp/wide.csv" | id_of)
[ -n "$dataset" ] || fail "upload"
run_body "$tmp/single.yml" "$dataset" false >"$tmp/single.json"
reply=$(http "$port" POST /api/v1/runs "$tmp/single.json")
echo "$reply" | head -n 1 | grep -q " 422 " || fail "over the limit: $reply"
echo "$reply" | grep -q '"flag":"trend app --max-pairwise-funds"' || fail "422 names the flag: $reply"
echo "$reply" | grep -q '"limit":"max_pairwise_funds"' || fail "422 names the limit: $reply"
http "$port" GET /metrics | grep -q 'trend_runs_stopped_total{reason="work_limit"} 1' ||
  fail "/metrics counts the refused run"

# --- a deadline: cancelled between periods, 503 with Retry-After ---
start_app deadline --run-timeout 0.5
dataset=$(http "$port" POST /api/v1/datasets "$tmp/wide.csv" | id_of)
run_body "$tmp/multi.yml" "$dataset" true >"$tmp/multi.json"
started=$(date +%s%N)
reply=$(http "$port" POST /api/v1/runs "$tmp/multi.json")
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
echo "$reply" | head -n 1 | grep -q " 503 " || fail "past --run-timeout: $(echo "$reply" | head -n 1)"
echo "$reply" | header retry-after | grep -qx "[0-9]*" || fail "503 without Retry-After"
echo "$reply" | grep -q "run-timeout" || fail "503 names --run-timeout: $reply"
[ "$elapsed_ms" -lt 10000 ] || fail "the deadline took ${elapsed_ms} ms to stop the run"
reply=$(http "$port" GET /healthz)
echo "$reply" | head -n 1 | grep -q " 200 " || fail "/healthz after a cancelled run"

# terminate_during_run BODY REPLY_FILE: posts the run to the last server started, sends it
# SIGTERM half a second later; sets $status (its exit status) and $elapsed_ms (SIGTERM to exit).
terminate_during_run() {
  local server=${pids[-1]} client started
  http "$port" POST /api/v1/runs "$1" >"$2" &
  client=$!
  sleep 0.5
  started=$(date +%s%N)
  kill -TERM "$server"
  wait "$server"
  status=$?
  elapsed_ms=$((($(date +%s%N) - started) / 1000000))
  wait "$client"
}

# --- SIGTERM during a long run: cancelled, answered, exit within the grace period ---
# 216 monthly periods, each an ERC over 300 funds: short steps (a cancellation lands within
# one, even under ASan) and about 5 s of work uncancelled (release build).
panel 300 240 9 >"$tmp/long.csv"
sed 's/end: 2019-12/end: 2029-12/' "$tmp/multi.yml" >"$tmp/multi_long.yml"
start_app shutdown --run-timeout 0 --shutdown-grace 3
dataset=$(http "$port" POST /api/v1/datasets "$tmp/long.csv" | id_of)
run_body "$tmp/multi_long.yml" "$dataset" true >"$tmp/long.json"
terminate_during_run "$tmp/long.json" "$tmp/shutdown.reply"
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM during a run"
[ "$elapsed_ms" -lt 3500 ] || fail "SIGTERM took ${elapsed_ms} ms with --shutdown-grace 3"
head -n 1 "$tmp/shutdown.reply" | grep -q " 503 " ||
  fail "the run cut short by the shutdown: $(head -n 1 "$tmp/shutdown.reply")"
grep -q "shutting down" "$tmp/shutdown.reply" || fail "503 says why: $(cat "$tmp/shutdown.reply")"
grep -q '"event":"cancelling"' "$tmp/shutdown.log" || fail "no cancelling line in the error log"
echo "ok (SIGTERM to exit: ${elapsed_ms} ms with --shutdown-grace 3)"

# --- a step that cannot be interrupted (--no-limits, ERC over 2,000 funds: seconds in one
# step): the process still exits within the grace period, abandoning it (exit 1) ---
panel 2000 120 11 >"$tmp/wider.csv"
start_app abandon --no-limits --shutdown-grace 1
dataset=$(http "$port" POST /api/v1/datasets "$tmp/wider.csv" | id_of)
[ -n "$dataset" ] || fail "upload of the 2,000-fund panel"
run_body "$tmp/single.yml" "$dataset" false >"$tmp/wider.json"
terminate_during_run "$tmp/wider.json" /dev/null
[ "$status" -eq 1 ] || fail "exit status $status when abandoning a run (expected 1)"
[ "$elapsed_ms" -lt 1500 ] || fail "SIGTERM took ${elapsed_ms} ms with --shutdown-grace 1"
grep -q "abandoning a request still running" "$tmp/abandon.err" || fail "no abandon message"
echo "ok (an uninterruptible run abandoned: exit ${elapsed_ms} ms after SIGTERM)"

# --- the body budget: bodies held at once over every connection ---
start_app budget --body-budget-mb 1
exec 4<>"/dev/tcp/127.0.0.1/$port"  # holds 600,000 of the 1 MiB while its body trickles in
printf 'POST /api/v1/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: text/csv\r\nContent-Length: 600000\r\n\r\nDate,A\n' >&4
sleep 0.3
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/v1/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 600000\r\n\r\n' >&3
reply=$(cat <&3)
exec 3<&-
echo "$reply" | head -n 1 | grep -q " 503 " || fail "over the body budget: $(echo "$reply" | head -n 1)"
echo "$reply" | header retry-after | grep -qx "1" || fail "503 without Retry-After: $reply"
exec 4<&-  # the held body is dropped with its connection, and its bytes with it
sleep 0.2
reply=$(http "$port" POST /api/v1/datasets "$tmp/wide.csv")
echo "$reply" | head -n 1 | grep -q " 201 " || fail "the budget is returned: $(echo "$reply" | head -n 1)"
echo "ok (body budget)"
