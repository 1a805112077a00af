#!/usr/bin/env bash
# Exactly once across crashes: a writer appends a log in uneven chunks and now and then
# re-delivers a copy of what it has written so far (a replay), while `trend ingest --follow`
# is SIGKILLed at random moments (at least 20 times) and restarted. At the end the table must
# hold exactly the records of one clean load of the whole log: nothing lost, nothing twice.
# Usage: ingest_crash_test.sh TREND MAKE_ACCESS_LOG
set -u
trend=$(realpath "$1")
make_log=$(realpath "$2")
tmp=$(mktemp -d)
writer_pid=""
ingest_pid=""
cleanup() {
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null
  [ -n "$ingest_pid" ] && kill -9 "$ingest_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL $*"; exit 1; }

lines=30000
"$make_log" "$lines" 11 40 8 >"$tmp/source.log"  # 750 s of traffic; 1 line in 8 repeats one of its second
# crash_case NAME WITH_REPLAYS: the writer, the killing loop, the recovery run and the check.
# Without replays every record must survive the restarts on its own; with them, the copies
# must add nothing.
crash_case() {
  local name="$1" with_replays="$2" dir="$tmp/$1"
  mkdir -p "$dir/in"

  # The writer: chunks of 1..1,500 lines; after some chunks a replay of everything so far.
  (
    RANDOM=7
    at=1
    replay=0
    while [ "$at" -le "$lines" ]; do
      n=$((RANDOM % 1500 + 1))
      sed -n "${at},$((at + n - 1))p" "$tmp/source.log" >>"$dir/in/live.log"
      at=$((at + n))
      if [ "$with_replays" -eq 1 ] && [ $((RANDOM % 4)) -eq 0 ]; then
        replay=$((replay + 1))
        cp "$dir/in/live.log" "$dir/in/replay-$replay.part" && mv "$dir/in/replay-$replay.part" "$dir/in/replay-$replay.log"
      fi
      sleep 0.0$((RANDOM % 10))
    done
  ) &
  writer_pid=$!

  # Kill ingest at random points until the writer is done and at least 20 kills happened.
  kills=0
  RANDOM=3
  while kill -0 "$writer_pid" 2>/dev/null || [ "$kills" -lt 20 ]; do
    [ -e "$dir/in/live.log" ] || { sleep 0.05; continue; }
    "$trend" ingest -q --db "$dir/crash.db" --format combined --batch 137 --follow \
      "$dir/in/live.log" "$dir/in/replay-*.log" >/dev/null 2>>"$dir/ingest.err" &
    ingest_pid=$!
    sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
    kill -9 "$ingest_pid" 2>/dev/null && kills=$((kills + 1))
    wait "$ingest_pid" 2>/dev/null
    ingest_pid=""
  done
  wait "$writer_pid"
  writer_pid=""
  # Recovery: one last run to the end of every file.
  "$trend" ingest -q --db "$dir/crash.db" --format combined "$dir/in/live.log" "$dir/in/replay-*.log" \
    2>>"$dir/ingest.err" || fail "the final run failed: $(tail -n 3 "$dir/ingest.err")"
  cmp -s "$dir/in/live.log" "$tmp/source.log" || fail "the writer did not write the whole log"

  export_rows() {
    sqlite3 "$1" "SELECT ts, key_hi, key_lo, client, method, path, query, status, bytes, user_agent,
                         request_time, run_id FROM http_requests ORDER BY ts, key_hi, key_lo"
  }
  crash_rows=$(sqlite3 "$dir/crash.db" "SELECT COUNT(*) FROM http_requests")
  replays=$(ls "$dir/in"/replay-*.log 2>/dev/null | wc -l)
  if [ "$(export_rows "$dir/crash.db" | md5sum)" != "$(export_rows "$tmp/clean.db" | md5sum)" ]; then
    fail "$name: after $kills kills and $replays replays the table holds $crash_rows rows, not the $lines records of the log"
  fi
  echo "ok   $name: $kills SIGKILLs, $replays replays: $crash_rows rows = the $lines records of one clean load"
}

# The reference: one clean load of the log.
"$trend" ingest -q --db "$tmp/clean.db" --format combined "$tmp/source.log" 2>/dev/null || fail "clean load"
clean_rows=$(sqlite3 "$tmp/clean.db" "SELECT COUNT(*) FROM http_requests")
[ "$clean_rows" -eq "$lines" ] || fail "clean load holds $clean_rows rows for $lines lines"
crash_case appends 0
crash_case appends_and_replays 1
echo "ok   the log has $(sort "$tmp/source.log" | uniq -d | wc -l) lines logged more than once"
