#!/usr/bin/env bash
# `trend ingest` into a real PostgreSQL (initdb + postgres in a temp dir, on a free loopback
# port): the same records, returns and report as SQLite gives, re-sent files adding nothing,
# and exactly-once across SIGKILLs while a writer appends.
# Usage: ingest_postgres_test.sh TREND MAKE_ACCESS_LOG SOURCE_DIR
set -u
trend=$(realpath "$1")
make_log=$(realpath "$2")
source "$3/tests/support/postgres_server.sh"
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

chmod 755 "$tmp"  # the server runs as the postgres user when we are root
pg_start "$tmp/pg"; status=$?
[ "$status" -eq 77 ] && exit 77
[ "$status" -eq 0 ] || { echo "FAIL could not start PostgreSQL"; exit 1; }
psql_value() { psql -X -A -t -q "$PG_URL" -c "$1"; }
cd "$tmp"

"$make_log" 20000 9 30 20 >source.log
"$trend" ingest -q --db "$PG_URL" --format combined source.log 2>err.txt || fail "load: $(cat err.txt)"
"$trend" ingest -q --db sqlite.db --format combined source.log 2>/dev/null
[ "$(psql_value 'SELECT COUNT(*) FROM http_requests')" = 20000 ] && ok "20,000 lines into PostgreSQL" || fail "count"
# Migration 5: the Bloom snapshot out of line and uncompressed (pglz took a fifth of the load).
[ "$(psql_value "SELECT attstorage FROM pg_attribute WHERE attrelid = 'bloom_state'::regclass AND attname = 'filter'")" = e ] &&
  ok "the Bloom snapshot is stored uncompressed" || fail "bloom_state.filter storage"
cp source.log resent.log
"$trend" ingest --db "$PG_URL" --format combined resent.log 2>err.txt
grep -q "0 new, 20,000 duplicates" err.txt && ok "a re-sent file adds nothing" || fail "re-sent: $(cat err.txt)"
pg_rows=$(psql_value "SELECT ts, key_hi, key_lo, client, method, path, status, bytes, request_time, run_id FROM http_requests ORDER BY 1, 2, 3" | md5sum)
lite_rows=$(sqlite3 -separator '|' sqlite.db "SELECT ts, key_hi, key_lo, client, method, path, status, bytes, request_time, run_id FROM http_requests ORDER BY 1, 2, 3" | md5sum)
[ "$pg_rows" = "$lite_rows" ] && ok "the same rows as SQLite" || fail "rows differ between PostgreSQL and SQLite"
strip() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("database"); print(json.dumps(d, sort_keys=True))'; }
pg_report=$("$trend" ingest report --db "$PG_URL" --json | strip)
lite_report=$("$trend" ingest report --db sqlite.db --json | strip)
[ -n "$pg_report" ] && [ "$pg_report" = "$lite_report" ] && ok "the same report as SQLite (percentiles, slowest, most run)" \
  || fail "reports differ: $(diff <(echo "$pg_report" | tr ',' '\n') <(echo "$lite_report" | tr ',' '\n') | head)"

# Two loaders given the same file at once, each writing over two connections: every record
# once, and both end without error (one waits on the other's uncommitted keys, then finds them).
load_twice() { "$trend" ingest -q --batch 500 --db "$PG_URL" --stream twice --format combined source.log 2>"$1"; }
load_twice twice1.err & twice_pid1=$!
load_twice twice2.err & twice_pid2=$!
wait "$twice_pid1"; status1=$?
wait "$twice_pid2"; status2=$?
[ "$status1" -eq 0 ] && [ "$status2" -eq 0 ] &&
  [ "$(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'twice'")" = 20000 ] &&
  ok "two loaders of one file at once: each record once" ||
  fail "two loaders at once: exits $status1 $status2, $(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'twice'") rows; $(cat twice1.err twice2.err | head -n 4)"
# A file overlapping one loaded before it in the same run, over two connections in small
# batches: the batches of new and "maybe" keys write the new rows beside the batch before and
# look the others up once it has committed; each record once.
# (A log without repeated lines: a repeat's occurrence number depends on what precedes it.)
"$make_log" 4000 5 30 1000000000 >unique.log
head -n 3000 unique.log >first.log
paste -d '\n' <(sed -n '2001,3000p' unique.log) <(sed -n '3001,4000p' unique.log) >overlap.log
"$trend" ingest --batch 200 --db "$PG_URL" --stream overlap --format combined first.log overlap.log 2>overlap.err
[ "$(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'overlap'")" = 4000 ] &&
  grep -q "4,000 new, 1,000 duplicates" overlap.err &&
  ok "a file overlapping an earlier one in the same run adds only its new lines" ||
  fail "overlap: $(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'overlap'") rows; $(tail -n 2 overlap.err)"
# A key held by another transaction past the lock timeout (5 s): the batch is retried, and
# loads once the holder has rolled back.
"$make_log" 3000 5 30 8 >held.log
"$trend" ingest -q --db held.db --stream held --format combined held.log 2>/dev/null
read -r held_ts held_hi held_lo < <(sqlite3 -separator ' ' held.db \
  "SELECT ts, key_hi, key_lo FROM http_request_rows ORDER BY ts, key_hi LIMIT 1 OFFSET 1500")
psql -X -q "$PG_URL" -c "BEGIN; INSERT INTO http_request_rows (ts, key_hi, key_lo, line, bytes, source_id, method_id, protocol_id, route_id, referrer_id, agent_id, status, client) VALUES ($held_ts, $held_hi, $held_lo, 0, 0, 0, 0, 0, 0, 0, 0, 200, 'holder'); SELECT pg_sleep(7); ROLLBACK;" >/dev/null &
holder=$!
for _ in $(seq 100); do
  [ "$(psql_value "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(7)%' AND pid <> pg_backend_pid()")" = 1 ] && break
  sleep 0.1
done
"$trend" ingest -q --db "$PG_URL" --stream held --format combined held.log 2>held.err; status=$?
wait "$holder"
[ "$status" -eq 0 ] && grep -q "lock timeout" held.err && grep -q "retrying the batch" held.err &&
  [ "$(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'held'")" = 3000 ] &&
  ok "a key locked past the lock timeout: the batch retried, every record once" ||
  fail "held lock: exit $status, $(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'held'") rows; $(head -n 3 held.err)"
# --connections 1 writes what the default two write.
"$trend" ingest -q --connections 1 --db "$PG_URL" --stream one-connection --format combined source.log 2>err.txt ||
  fail "--connections 1: $(cat err.txt)"
# (The stream is part of a record's identity: the keys differ, the rest is the same.)
rows_of() { psql_value "SELECT line, ts, client, path, route, status, request_time, run_id FROM http_requests WHERE stream = '$1' ORDER BY 1" | md5sum; }
one=$(rows_of one-connection)
two=$(rows_of twice)
[ "$one" = "$two" ] && ok "--connections 1 and the default two load the same rows" || fail "--connections 1 rows differ"

# Returns: a feed, the same feed re-sent, a correction.
printf 'date,fund,return,source\n2024-01-31,Alpha,0.01,admin\n2024-01-31,Beta,-0.02,admin\n2024-02-29,Alpha,1.5%%,admin\n' >feed.csv
"$trend" ingest -q --db "$PG_URL" --format returns feed.csv 2>/dev/null
"$trend" ingest -q --db "$PG_URL" --format returns feed.csv 2>/dev/null
printf '2024-02-29,Alpha,0.02,admin\n' >fix.csv
"$trend" ingest --db "$PG_URL" --format returns fix.csv 2>err.txt
[ "$(psql_value 'SELECT COUNT(*) FROM returns')" = 3 ] && grep -q "1 corrections" err.txt &&
  [ "$(psql_value "SELECT value FROM returns WHERE fund = 'Alpha' AND date = '2024-02-29'")" = 0.02 ] &&
  [ "$(psql_value "SELECT COUNT(*) FROM returns_history WHERE fund = 'Alpha' AND date = '2024-02-29'")" = 2 ] &&
  ok "returns: re-sent adds nothing, a correction replaces the value and keeps the history" || fail "returns: $(cat err.txt)"

# data.source on PostgreSQL: the run document equals the CSV run's.
src=$(realpath "$3")
awk -F, 'NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; print "date,fund,return"; next }
         { for (i = 2; i <= NF; i++) print $1 "," name[i] "," $i }' "$src/demo/demo_returns.csv" >long.csv
"$trend" ingest -q --db "$PG_URL" --stream demo --format returns long.csv 2>/dev/null
sed "s|csv_path: ../demo/demo_returns.csv|csv_path: $src/demo/demo_returns.csv|" "$src/config/demo.yml" >csv.yml
sed "s|csv_path: ../demo/demo_returns.csv|source: $PG_URL\n  stream: demo|" "$src/config/demo.yml" >pg.yml
"$trend" run -c csv.yml --json csv.json -q --no-export 2>/dev/null
"$trend" run -c pg.yml --json pg.json -q --no-export 2>err.txt || fail "run on PostgreSQL: $(cat err.txt)"
cmp -s csv.json pg.json && ok "trend run --json from data.source: postgresql:// = from the CSV" || fail "PostgreSQL run differs"

# Exactly once across SIGKILLs.
"$make_log" 6000 4 30 8 >crash.log
: >live.log
(
  at=1
  while [ "$at" -le 6000 ]; do sed -n "${at},$((at + 399))p" crash.log >>live.log; at=$((at + 400)); sleep 0.1; done
) &
writer=$!
kills=0
RANDOM=5
while kill -0 "$writer" 2>/dev/null || [ "$kills" -lt 10 ]; do
  "$trend" ingest -q --db "$PG_URL" --stream crash --format combined --batch 97 --follow live.log 2>>crash.err &
  pid=$!
  sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  pid=""
done
wait "$writer"
"$trend" ingest -q --db "$PG_URL" --stream crash --format combined live.log 2>>crash.err || fail "final run: $(tail -n 2 crash.err)"
"$trend" ingest -q --db clean.db --stream crash --format combined crash.log 2>/dev/null
pg_crash=$(psql_value "SELECT ts, key_hi, key_lo FROM http_requests WHERE stream = 'crash' ORDER BY 1, 2, 3" | md5sum)
clean=$(sqlite3 -separator '|' clean.db "SELECT ts, key_hi, key_lo FROM http_requests ORDER BY 1, 2, 3" | md5sum)
[ "$pg_crash" = "$clean" ] && ok "$kills SIGKILLs: exactly the 6,000 records" \
  || fail "after $kills kills: $(psql_value "SELECT COUNT(*) FROM http_requests WHERE stream = 'crash'") rows"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
