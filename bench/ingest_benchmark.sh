#!/usr/bin/env bash
# trend ingest against the peers, side by side in one run, on one generated combined-format log
# (tests/ingest/make_access_log: trend app-shaped traffic at 200 lines/s, 1 line in 1,000 a
# same-second repeat):
#   trend ingest -> SQLite (unique key enforced), the same file again (every record a duplicate),
#   trend ingest -> PostgreSQL (a throwaway server, as the tests start), the Python ETL
#   (bench/python_etl.py: regex + sqlite3.executemany, no de-duplication) and GoAccess's parser;
#   and each database alone taking the same rows (bench/storage_write_ceiling: writes only).
# Usage: bash bench/ingest_benchmark.sh [LINES [ROUNDS]]
#   (default 10,000,000 lines, 3 rounds; after `make build`)
# Every step runs once per round, in the same order, and each row is the median of its rounds:
# on a virtual machine one step's speed varies by a third from one minute to the next, and with
# what ran just before it (a database's first minute after GoAccess freed its memory was the
# slowest), so a single pass ranks the rows by luck as much as by speed.
# Writes the table to stdout and bench/results/ingest.md. Needs goaccess (Debian) for its row.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000000}
rounds=${2:-3}
bin=build/release
trend=$bin/src/cli/trend
work=$(mktemp -d /tmp/trend-ingest-bench.XXXXXX)
chmod 755 "$work"
source tests/support/postgres_server.sh
trap 'pg_stop; rm -rf "$work"' EXIT

echo "generating $lines lines..." >&2
"$bin/tests/make_access_log" "$lines" 1 200 >"$work/access.log"
size=$(stat -c %s "$work/access.log")

rows=()
# time_it LABEL COMMAND...: wall seconds of the command
time_it() {
  local label=$1
  shift
  local start end
  sync  # what the previous step wrote (the 1.5 GB log, a database) is flushed outside the clock
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/last.err" || { echo "$label failed: $(tail -n 3 "$work/last.err")" >&2; return 1; }
  end=$(date +%s.%N)
  local seconds
  seconds=$(echo "$end - $start" | bc -l)
  rows+=("$label|$seconds")
  printf '%-44s %8.2f s  %10.0f lines/s\n' "$label" "$seconds" "$(echo "$lines / $seconds" | bc -l)" >&2
}

# ceiling LABEL URL: the database alone taking the same rows (storage_write_ceiling: parsing
# outside the clock, only the writes timed); its seconds are the write time.
ceiling() {
  local out
  sync
  out=$("$bin/bench/storage_write_ceiling" "$2" "$work/access.log") || { echo "$1 failed" >&2; return 1; }
  local seconds
  seconds=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s of writing.*/\1/p')
  rows+=("$1|$seconds")
  printf '%-44s %8.2f s  %10.0f lines/s\n' "$1" "$seconds" "$(echo "$lines / $seconds" | bc -l)" >&2
}
# One pass over every step; its databases are removed at its end, so that the rounds do not
# fill the disk.
run_round() {
  time_it "trend ingest -> SQLite" "$trend" ingest -q --db "$work/trend-$round.db" --format combined "$work/access.log"
  cp "$work/access.log" "$work/resent.log"  # another name: read from its start, every record a duplicate
  time_it "trend ingest -> SQLite, the file re-sent" "$trend" ingest -q --db "$work/trend-$round.db" --format combined "$work/resent.log"
  [ "$(sqlite3 "$work/trend-$round.db" 'SELECT COUNT(*) FROM http_requests')" -eq "$lines" ] || { echo "SQLite row count wrong" >&2; exit 1; }
  ceiling "SQLite alone: the same rows, writes only" "$work/ceiling-$round.db"
  time_it "Python ETL (regex + executemany) -> SQLite" /usr/bin/python3 bench/python_etl.py "$work/python-$round.db" "$work/access.log"
  if command -v goaccess >/dev/null; then
    time_it "GoAccess 1.7 (parse + JSON report)" goaccess "$work/access.log" --log-format=COMBINED --no-progress -o "$work/goaccess.json"
  fi
  if pg_start "$work/pg"; then
    time_it "trend ingest -> PostgreSQL (2 connections)" "$trend" ingest -q --db "$PG_URL" --format combined "$work/access.log"
    [ "$("$PG_BIN/psql" -XAtq "$PG_URL" -c 'SELECT COUNT(*) FROM http_requests')" -eq "$lines" ] || { echo "PostgreSQL row count wrong" >&2; exit 1; }
    "$PG_BIN/psql" -q "$PG_URL" -c "CREATE DATABASE ceiling" >/dev/null
    ceiling "PostgreSQL alone: the same rows, writes only" "${PG_URL%/*}/ceiling"
    pg_stop
    # One connection, on a new server as the first run had (its WAL files all new, too).
    rm -rf "$work/pg"
    pg_start "$work/pg1" &&
      time_it "trend ingest -> PostgreSQL, --connections 1" "$trend" ingest -q --connections 1 --db "$PG_URL" --format combined "$work/access.log"
    pg_stop
  else
    echo "PostgreSQL did not start: its row is missing" >&2
  fi
  rm -rf "$work"/*-"$round".db* "$work/pg" "$work/pg1" "$work/resent.log"
}

for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  run_round
done

# Each label's median over the rounds, and its slowest and fastest, in the order the labels
# first ran.
median_rows=()
labels=()
declare -A seen=()
for row in "${rows[@]}"; do
  label=${row%|*}
  [ -n "${seen[$label]-}" ] || labels+=("$label")
  seen[$label]=1
done
for label in "${labels[@]}"; do
  stats=$(for row in "${rows[@]}"; do if [ "${row%|*}" = "$label" ]; then echo "${row#*|}"; fi; done |
    sort -g | awk '{ v[NR] = $1 } END { print ((NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], v[1] }')
  read -r median slowest fastest <<<"$stats"
  median_rows+=("$label|$median|$slowest|$fastest")
done

python_seconds=""
for row in "${median_rows[@]}"; do
  if [[ "$row" == Python* ]]; then python_seconds=$(echo "$row" | cut -d'|' -f2); fi
done
{
  echo "# trend ingest: $lines-line combined log ($(echo "$size / 1000000" | bc) MB), $(date -u +%Y-%m-%d), $(nproc) cores, at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "Each row is the median of $rounds rounds; a round runs every row once, in this order."
  echo
  echo "| implementation | seconds | lines/s | vs Python ETL | lines/s, slowest-fastest round |"
  echo "|---|---|---|---|---|"
  for row in "${median_rows[@]}"; do
    IFS='|' read -r label seconds slowest fastest <<<"$row"
    ratio=""
    if [ -n "$python_seconds" ]; then ratio=$(printf '%.1f x' "$(echo "$python_seconds / $seconds" | bc -l)"); fi
    printf '| %s | %.1f | %.0f | %s | %.0f-%.0f |\n' "$label" "$seconds" "$(echo "$lines / $seconds" | bc -l)" "$ratio" \
      "$(echo "$lines / $slowest" | bc -l)" "$(echo "$lines / $fastest" | bc -l)"
  done
} | tee bench/results/ingest.md
