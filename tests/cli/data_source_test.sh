#!/usr/bin/env bash
# data.source: a run on the returns `trend ingest --format returns` loaded gives the same
# document, byte for byte, as the run on the equivalent wide CSV (single and multi-period);
# a correction loaded later changes the run; a key that the database makes moot says so.
# Usage: data_source_test.sh TREND SOURCE_DIR
set -u
trend=$(realpath "$1")
source_dir=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

# The demo's wide CSV as a long feed (date, fund, return), cell text unchanged, funds in column order.
awk -F, 'NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; print "date,fund,return"; next }
         { for (i = 2; i <= NF; i++) print $1 "," name[i] "," $i }' "$source_dir/demo/demo_returns.csv" >"$tmp/long.csv"
"$trend" ingest -q --db "$tmp/demo.db" --format returns "$tmp/long.csv" 2>"$tmp/err" || fail "ingest: $(cat "$tmp/err")"
sed "s|csv_path: ../demo/demo_returns.csv|csv_path: $source_dir/demo/demo_returns.csv|" "$source_dir/config/demo.yml" >"$tmp/csv.yml"
sed "s|csv_path: ../demo/demo_returns.csv|source: sqlite://$tmp/demo.db|" "$source_dir/config/demo.yml" >"$tmp/db.yml"
grep -q "source: sqlite://" "$tmp/db.yml" || fail "could not point the demo config at the database"
for mode in "" "--multi-period"; do
  "$trend" run $mode -c "$tmp/csv.yml" --json "$tmp/csv.json" -q --no-export 2>/dev/null
  "$trend" run $mode -c "$tmp/db.yml" --json "$tmp/db.json" -q --no-export 2>"$tmp/err" || fail "run $mode: $(cat "$tmp/err")"
  cmp -s "$tmp/csv.json" "$tmp/db.json" && ok "trend run ${mode:-(single period)} --json: identical from the CSV and from data.source" \
    || fail "trend run $mode: the documents differ"
done

# A correction changes the run; the history keeps the old value.
first=$(grep ",SPX," "$tmp/long.csv" | sed -n 60p)  # the risk-free column, in-sample
echo "$first" | awk -F, '{ print $1 "," $2 ",0.5" }' >"$tmp/fix.csv"
"$trend" ingest -q --db "$tmp/demo.db" --format returns "$tmp/fix.csv" 2>/dev/null
"$trend" run -c "$tmp/db.yml" --json "$tmp/fixed.json" -q --no-export 2>/dev/null
"$trend" run -c "$tmp/csv.yml" --json "$tmp/csv.json" -q --no-export 2>/dev/null
if ! cmp -s "$tmp/csv.json" "$tmp/fixed.json"; then ok "a loaded correction changes the result"; else fail "correction had no effect"; fi

# Keys that data.source makes moot, and a stream that holds nothing.
printf 'data:\n  source: sqlite://%s\n  csv_path: %s\n  risk_free_column: SPX\n' "$tmp/demo.db" "$source_dir/demo/demo_returns.csv" >"$tmp/both.yml"
"$trend" run -c "$tmp/both.yml" -q --no-export 2>"$tmp/err" >/dev/null
grep -q "data.csv_path has no effect: it needs data.source: to be unset" "$tmp/err" && ok "csv_path beside source warns" \
  || fail "no warning for csv_path beside source: $(cat "$tmp/err")"
printf 'data:\n  source: sqlite://%s\n  stream: nothing\n  risk_free_column: SPX\n' "$tmp/demo.db" >"$tmp/empty.yml"
"$trend" run -c "$tmp/empty.yml" -q --no-export 2>"$tmp/err" >/dev/null; status=$?
[ "$status" -eq 2 ] && grep -q "holds no returns for stream 'nothing'" "$tmp/err" && ok "an empty stream: exit 2" \
  || fail "empty stream: status $status $(cat "$tmp/err")"
printf 'data:\n  source: sqlite://%s\n  table: "returns; DROP TABLE funds"\n  risk_free_column: SPX\n' "$tmp/demo.db" >"$tmp/bad.yml"
"$trend" run -c "$tmp/bad.yml" -q --no-export 2>"$tmp/err" >/dev/null; status=$?
[ "$status" -eq 2 ] && grep -q "expected a table name" "$tmp/err" && ok "a table name that is not one: exit 2" \
  || fail "bad table: status $status $(cat "$tmp/err")"
"$trend" run -c "$tmp/db.yml" --returns "$source_dir/demo/demo_returns.csv" -q --no-export 2>"$tmp/err" >/dev/null
grep -q "data.source has no effect: --returns" "$tmp/err" && ok "--returns beside data.source warns" || fail "no --returns warning"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
