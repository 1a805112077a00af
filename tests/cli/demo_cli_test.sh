#!/usr/bin/env bash
# `trend run` on the shipped demo, as `make demo` runs it: what it prints, the files it
# writes and the numbers in them; --strict on a file with a warning; a golden error case.
# Usage: demo_cli_test.sh TREND SOURCE_DIR
set -u
trend="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
src="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

"$trend" run --strict -c "$src/config/demo.yml" --out "$tmp/single" --json "$tmp/single.json" \
  >"$tmp/stdout" 2>"$tmp/stderr" || fail "demo run exit $?: $(cat "$tmp/stderr")"
grep -q "^Vol-Adj Trend Analysis" "$tmp/stdout" || fail "summary header"
grep -q "Risk-free: SPX (configured)" "$tmp/stdout" || fail "risk-free line"
for f in analysis_summary.csv analysis_metrics.csv analysis_summary.json analysis_result.json \
         analysis_summary.txt analysis.xlsx; do
  [ -s "$tmp/single/$f" ] || fail "export $f"
done
[ "$(json "$tmp/single.json" 'd["selected_funds"]')" = "['Mgr_15', 'Mgr_18', 'Mgr_11', 'Mgr_06', 'Mgr_14']" ] ||
  fail "selected funds: $(json "$tmp/single.json" 'd["selected_funds"]')"
[ "$(json "$tmp/single.json" 'd["warnings"]')" = "[]" ] || fail "demo warnings"
# Custom weights 60/40 on Mgr_01/Mgr_02, neither selected: equal weights over the five.
[ "$(json "$tmp/single.json" 'sorted(round(w, 12) for w in d["fund_weights"].values())')" = \
  "[0.2, 0.2, 0.2, 0.2, 0.2]" ] || fail "fund weights: $(json "$tmp/single.json" 'd["fund_weights"]')"
cmp -s "$tmp/single.json" "$tmp/single/analysis_result.json" ||
  python3 - "$tmp/single.json" "$tmp/single/analysis_result.json" <<'PY' || fail "--json and the json export disagree"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
a.pop("warnings", None); b.pop("warnings", None)
sys.exit(0 if a == b else 1)
PY

"$trend" run --strict --multi-period -c "$src/config/demo.yml" --json - --no-export \
  >"$tmp/multi.json" 2>"$tmp/stderr" || fail "multi-period demo exit $?: $(cat "$tmp/stderr")"
[ "$(json "$tmp/multi.json" '[p["period"][3] for p in d["periods"]]')" = \
  "['2021-12-31', '2022-12-31', '2023-12-31', '2024-12-31']" ] || fail "periods"
[ "$(json "$tmp/multi.json" 'len(d["equity_curve"])')" = "48" ] || fail "equity curve length"

# --strict: a key with no effect stops the run before anything is written.
sed 's/^portfolio:$/portfolio:\n  max_turnover: 0.5/' "$src/config/demo.yml" > "$tmp/demo_turnover.yml"
sed -i "s#\.\./demo/demo_returns.csv#$src/demo/demo_returns.csv#" "$tmp/demo_turnover.yml"
"$trend" run --strict -c "$tmp/demo_turnover.yml" --json "$tmp/strict.json" --no-export -q \
  2>"$tmp/stderr"; status=$?
[ "$status" -eq 2 ] || fail "--strict exit $status"
grep -q "trend: error: --strict: $tmp/demo_turnover.yml line [0-9]*: portfolio.max_turnover has no effect: it needs portfolio.previous_weights: set (or a threshold-hold run)" \
  "$tmp/stderr" || fail "--strict message: $(cat "$tmp/stderr")"
[ ! -e "$tmp/strict.json" ] || fail "--strict wrote a result"
# Without --strict the same run warns on stderr and in warnings[].
"$trend" run -c "$tmp/demo_turnover.yml" --json "$tmp/lenient.json" --no-export -q 2>"$tmp/stderr" ||
  fail "lenient run"
grep -q "^trend: warning: .*portfolio.max_turnover has no effect" "$tmp/stderr" || fail "warning on stderr"
[ "$(json "$tmp/lenient.json" 'len(d["warnings"])')" = "1" ] || fail "warning in the JSON"

# A golden error case: the reference raises, so do we (exit 2, a message, no result).
case="$src/tests/golden/cases/single_quarterly_input"
(cd "$case" && "$trend" run -c config.yml --json "$tmp/error.json" --no-export -q) 2>"$tmp/stderr"
status=$?
[ "$status" -eq 2 ] || fail "error case exit $status"
grep -q "^trend: error: " "$tmp/stderr" || fail "error case message"
[ ! -e "$tmp/error.json" ] || fail "error case wrote a result"

[ "$failures" -eq 0 ] && echo "ok   demo cli" || exit 1
