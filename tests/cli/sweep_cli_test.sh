#!/usr/bin/env bash
# `trend sweep` end to end: one row per configuration in results.csv and results.jsonl, the
# same bytes at 1 and 2 threads, per-row errors for bad values, exit 2 for a bad grid file.
set -u
trend="$1"
config="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

cat > "$tmp/grid.yml" <<'GRID'
portfolio.rank.n: [3, 5, 8]
portfolio.weighting_scheme: [equal, hrp]
vol_adjust.target_vol: [0.08, 0.12]
portfolio.selection_mode: [rank, random]
GRID
"$trend" sweep -c "$config" --grid "$tmp/grid.yml" --out "$tmp/one" --threads 1 -q || fail "sweep at 1 thread"
"$trend" sweep -c "$config" --grid "$tmp/grid.yml" --out "$tmp/two" --threads 2 -q || fail "sweep at 2 threads"
[ "$(wc -l < "$tmp/one/results.csv")" -eq 25 ] || fail "results.csv has a header and 24 rows"
[ "$(wc -l < "$tmp/one/results.jsonl")" -eq 24 ] || fail "results.jsonl has 24 rows"
cmp -s "$tmp/one/results.csv" "$tmp/two/results.csv" || fail "results.csv differs between 1 and 2 threads"
cmp -s "$tmp/one/results.jsonl" "$tmp/two/results.jsonl" || fail "results.jsonl differs between 1 and 2 threads"

printf 'portfolio.rank.n: [3, x]\n' > "$tmp/values.yml"
"$trend" sweep -c "$config" --grid "$tmp/values.yml" --out "$tmp/values" -q || fail "a bad value stops the sweep"
grep -q "^1,x,error,,,,,,,$tmp/values.yml line 1: portfolio.rank.n = 'x': expected a number,$" \
  "$tmp/values/results.csv" || fail "the bad value's row carries its error"

printf 'portfolio.rank.nn: [1]\n' > "$tmp/bad.yml"
"$trend" sweep -c "$config" --grid "$tmp/bad.yml" -q 2> "$tmp/stderr"; status=$?
[ "$status" -eq 2 ] || fail "bad grid exit status $status"
[ "$(cat "$tmp/stderr")" = "trend: error: $tmp/bad.yml line 1: unknown config key 'portfolio.rank.nn'; did you mean 'portfolio.rank.n'?" ] ||
  fail "bad grid message: $(cat "$tmp/stderr")"

# The demo grid: every one of its 10,000 configurations gives different numbers, and none sets
# a key that has no effect (--strict).
sweeps="$(dirname "$config")/sweeps"
"$trend" sweep --strict -c "$sweeps/demo_sweep.yml" --grid "$sweeps/demo_grid.yml" --out "$tmp/demo" \
  --top 0 > "$tmp/demo.out" 2>&1 || fail "demo grid: $(cat "$tmp/demo.out")"
grep -q "^10000 distinct results: every configuration gives different numbers.$" "$tmp/demo.out" ||
  fail "demo grid distinct results: $(grep distinct "$tmp/demo.out")"
# demo.yml has custom weights and no volatility targeting: the same grid on it is refused.
"$trend" sweep --strict -c "$config" --grid "$sweeps/demo_grid.yml" --out "$tmp/refused" -q \
  2> "$tmp/stderr"; status=$?
[ "$status" -eq 2 ] || fail "strict grid on demo.yml exit $status"
grep -q "configuration 0: .*portfolio.weighting_scheme has no effect: it needs portfolio.custom_weights: unset" "$tmp/stderr" ||
  fail "strict grid message: $(cat "$tmp/stderr")"

# SIGINT mid-sweep: the batch in flight is finished, both files end with whole lines and hold
# the same rows, the message says how far it got, and the exit status is 130.
python3 -c 'print("seed: [" + ", ".join(str(i) for i in range(200000)) + "]")' > "$tmp/long.yml"
"$trend" sweep -c "$config" --grid "$tmp/long.yml" --out "$tmp/long" -q 2> "$tmp/long.err" &
sweep_pid=$!
for _ in $(seq 400); do
  # The first batch is out (into the temporary file, renamed into place at the end).
  compgen -G "$tmp/long/results.jsonl.tmp.*" >/dev/null && [ -s "$(ls "$tmp"/long/results.jsonl.tmp.* | head -n 1)" ] && break
  sleep 0.05
done
kill -INT "$sweep_pid"
wait "$sweep_pid"; status=$?
[ "$status" -eq 130 ] || fail "interrupted sweep exit $status"
rows_csv=$(( $(wc -l < "$tmp/long/results.csv") - 1 ))
rows_jsonl=$(wc -l < "$tmp/long/results.jsonl")
[ "$rows_csv" -eq "$rows_jsonl" ] || fail "interrupted sweep: $rows_csv csv rows, $rows_jsonl jsonl rows"
[ "$rows_jsonl" -lt 200000 ] || fail "the sweep was not interrupted"
[ -z "$(tail -c 1 "$tmp/long/results.csv")" ] && [ -z "$(tail -c 1 "$tmp/long/results.jsonl")" ] ||
  fail "interrupted sweep files do not end with a newline"
grep -q "^trend: interrupted by SIGINT after $rows_jsonl of 200000 configurations" "$tmp/long.err" ||
  fail "interrupted sweep message: $(cat "$tmp/long.err")"

[ "$failures" -eq 0 ] && echo "ok   sweep cli" || exit 1
