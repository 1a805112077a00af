#!/usr/bin/env bash
# `trend ingest` from the command line on SQLite: following a log across rotation (rename and a
# new file) and truncation (copytruncate), stdin, the report, and bad input (exit 2, one line).
# Usage: ingest_cli_test.sh TREND MAKE_ACCESS_LOG
set -u
trend=$(realpath "$1")
make_log=$(realpath "$2")
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
rows() { sqlite3 "$1" "SELECT COUNT(*) FROM http_requests"; }
wait_rows() {  # wait_rows DB N: until the table holds N rows (at most 10 s)
  for _ in $(seq 100); do [ "$(rows "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

"$make_log" 1000 5 20 50 >"$tmp/source.log"
part() { sed -n "$1,$2p" "$tmp/source.log"; }

# --- follow: growth, rotation by rename, truncation in place
cd "$tmp"
part 1 200 >app.log
"$trend" ingest --db f.db --format combined --follow app.log 2>follow.err &
pid=$!
wait_rows f.db 200 || fail "follow: first 200 lines not loaded"
part 201 400 >>app.log
wait_rows f.db 400 && ok "follow: appended lines" || fail "follow: appended lines ($(rows f.db))"
part 401 450 >>app.log
mv app.log app.log.1          # rotation: the old file gets its last lines after the rename
part 451 500 >>app.log.1
part 501 700 >app.log
wait_rows f.db 700 && ok "follow: rotation (renamed file drained, new file read)" || fail "rotation: $(rows f.db) rows"
: >app.log                    # copytruncate
part 701 1000 >>app.log
wait_rows f.db 1000 && ok "follow: truncation" || fail "truncation: $(rows f.db) rows"
kill -TERM "$pid"
wait "$pid"; status=$?
pid=""
[ "$status" -eq 0 ] && grep -q "1,000 lines" follow.err && ok "SIGTERM: commits, summary, exit 0" \
  || fail "SIGTERM: status $status $(cat follow.err)"
"$trend" ingest -q --db clean.db --format combined source.log 2>/dev/null
same() { sqlite3 "$1" "SELECT ts, key_hi, key_lo FROM http_requests ORDER BY 1, 2, 3" | md5sum; }
[ "$(same f.db)" = "$(same clean.db)" ] && ok "follow result = one clean load" || fail "follow result differs"
# A later run over the rotated file and the current one adds nothing.
"$trend" ingest -q --db f.db --format combined app.log.1 app.log 2>err.txt
[ "$(rows f.db)" = 1000 ] && ok "re-reading rotated files adds nothing" || fail "re-read: $(rows f.db)"

# --- following a file that does not exist yet
"$trend" ingest -q --db late.db --format combined --follow late.log 2>late.err &
pid=$!
sleep 0.5
part 1 50 >late.log
wait_rows late.db 50 && ok "follow: a file that appears later" || fail "late file: $(rows late.db 2>&1) $(cat late.err)"
kill -TERM "$pid"; wait "$pid"; pid=""

# --- stdin, a glob, the summary line
part 1 300 | "$trend" ingest --db s.db --format combined - 2>s.err
grep -q "300 lines in .* 300 new, 0 duplicates, 0 corrections, 0 rejected" s.err && ok "stdin" || fail "stdin: $(cat s.err)"
# --connections is for PostgreSQL: SQLite says so and loads over one.
part 1 300 | "$trend" ingest --connections 3 --db c.db --format combined - 2>c.err
grep -q "warning: --connections 3: SQLite takes one writer at a time" c.err && grep -q "300 new" c.err &&
  ok "--connections on SQLite: a warning, one writer" || fail "--connections on SQLite: $(cat c.err)"
cp source.log copy-a.log; cp source.log copy-b.log
"$trend" ingest --db s.db --format combined 'copy-*.log' 2>g.err
grep -q "2,000 lines in .* 700 new, 1,300 duplicates" g.err && ok "a glob of re-sent copies: only the new records" \
  || fail "glob: $(cat g.err)"

# --- two loaders at once on the same database, the same records: each batch the other got to
# first fails on the unique key and is retried with every key confirmed.
"$make_log" 20000 8 100 50 >big.log
cp big.log big-copy.log
"$trend" ingest -q --db two.db --format combined --batch 500 big.log 2>two-a.err &
a=$!
"$trend" ingest -q --db two.db --format combined --batch 500 big-copy.log 2>two-b.err &
b=$!
wait "$a"; status_a=$?
wait "$b"; status_b=$?
[ "$status_a" -eq 0 ] && [ "$status_b" -eq 0 ] && [ "$(rows two.db)" = 20000 ] &&
  ok "two loaders at once: 20,000 rows, each record once" ||
  fail "two loaders: status $status_a/$status_b, $(rows two.db) rows: $(cat two-a.err two-b.err)"

# --- the report
out=$("$trend" ingest report --db s.db --top 3)
echo "$out" | grep -q "^1000 requests from" && echo "$out" | grep -q "p99 ms" && ok "report" || fail "report: $out"
json=$("$trend" ingest report --db s.db --json --since 2026-11-01T00:00:10Z --until 2026-11-01T00:00:20Z)
echo "$json" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["requests"]==200, d["requests"]; assert d["routes"]' \
  && ok "report --json with a time range" || fail "report range: $json"

# --- bad input: exit 2, one line naming what
expect() {  # expect NAME EXPECTED_FIRST_LINE -- ARGS...
  local name="$1" expected="$2"; shift 3
  "$trend" "$@" >/dev/null 2>err.txt </dev/null; local status=$?
  if [ "$status" -eq 2 ] && grep -qF -- "$expected" err.txt; then ok "$name"; else fail "$name: status $status: $(head -n 3 err.txt)"; fi
}
expect missing_file "trend: error: nope.log: cannot open" -- ingest --db x.db --format combined nope.log
expect no_db "trend ingest needs --db URL" -- ingest --format combined source.log
expect bad_format "--format: garbage not in" -- ingest --db x.db --format garbage source.log
printf 'definitely\nnot\na\nlog\n' >junk.log
for i in $(seq 30); do echo "junk line $i" >>junk.log; done
expect reject_rate "lines rejected (100.0%), more than --max-reject-rate 0.5: is --format combined right?" -- \
  ingest --db x.db --format combined junk.log
expect bad_pg "postgresql://nobody:***@127.0.0.1:1/x: cannot connect to PostgreSQL" -- \
  ingest --db postgresql://nobody:secret@127.0.0.1:1/x --format combined source.log
grep -q secret err.txt && fail "the password is in the message: $(cat err.txt)"
expect bad_since "--since 'yesterday': expected YYYY-MM-DD" -- ingest report --db s.db --since yesterday
mkdir notadb.db
expect bad_sqlite "notadb.db: cannot open the SQLite database" -- ingest --db notadb.db --format combined source.log

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
