#!/usr/bin/env bash
# `trend run` on bad input: exit status 2 and exactly one line naming what was wrong.
set -u
trend="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect() {  # expect NAME EXPECTED_STDERR_LINE -- ARGS...
  local name="$1" expected="$2"; shift 3
  local err status
  "$trend" "$@" >/dev/null 2>"$tmp/stderr"; status=$?
  err=$(head -n 1 "$tmp/stderr")
  if [ "$status" -ne 2 ] || [ "$err" != "$expected" ]; then
    echo "FAIL $name: status $status"
    echo "  expected: $expected"
    echo "  got:      $err"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

printf 'Date,A,RF\n2020-01-31,0.1,0.001\n2020-02-29,0.1\n' > "$tmp/ragged.csv"
printf 'data: {risk_free_column: RF}\n' > "$tmp/ok.yml"
printf 'data: [unclosed\n' > "$tmp/broken.yml"
printf 'Date,A,B,RF\n2020-01-31,0.01,0.02,0.001\n2020-02-29,0.02,0.01,0.001\n2020-03-31,0.01,0.03,0.001\n2020-04-30,0.02,0.02,0.001\n' > "$tmp/ok.csv"

expect missing_config "trend: error: $tmp/nope.yml: cannot open the config file" -- run -c "$tmp/nope.yml"
expect malformed_yaml "trend: error: $tmp/broken.yml line 2, column 1: malformed YAML: end of sequence flow not found" -- run -c "$tmp/broken.yml"
expect no_returns "trend: error: $tmp/ok.yml: neither data.csv_path nor data.source is set; pass --returns CSV" -- run -c "$tmp/ok.yml"
expect missing_csv "trend: error: $tmp/none.csv: cannot open the returns file" -- run -c "$tmp/ok.yml" --returns "$tmp/none.csv"
expect ragged_csv "trend: error: $tmp/ragged.csv line 3: expected 3 fields, found 2" -- run -c "$tmp/ok.yml" --returns "$tmp/ragged.csv"
expect bad_flag "trend: error: unknown option --bogus for \`trend run\`" -- run -c "$tmp/ok.yml" --bogus
# A mistyped command or option is named, with the nearest known one, even before a missing
# required option would be.
expect typo_command "trend: error: unknown command 'rnu' (did you mean 'run'?)" -- rnu -c "$tmp/ok.yml"
expect typo_option "trend: error: unknown option --confg for \`trend run\` (did you mean --config?)" -- run --confg "$tmp/ok.yml"
expect typo_nested "trend: error: unknown command 'bild' for \`trend bloom\` (did you mean 'build'?)" -- bloom bild
expect typo_nested_option "trend: error: unknown option --capacty for \`trend bloom build\` (did you mean --capacity?)" -- bloom build --capacty 10 -o "$tmp/f"
printf 'portfolio.rank.n: [3]\n' > "$tmp/grid.yml"
expect too_many_threads "--threads: Value 100000 not in range 0 to 1024" -- sweep -c "$tmp/ok.yml" --grid "$tmp/grid.yml" --threads 100000
expect negative_threads "--threads: Value -1 not in range 0 to 1024" -- sweep -c "$tmp/ok.yml" --grid "$tmp/grid.yml" --threads -1
mkfifo "$tmp/fifo.csv"
expect fifo_returns "trend: error: $tmp/fifo.csv: not a regular file" -- run -c "$tmp/ok.yml" --returns "$tmp/fifo.csv"

expect full_disk_json "trend: error: /dev/full: cannot write the file: No space left on device" -- run -c "$tmp/ok.yml" --returns "$tmp/ok.csv" --json /dev/full --no-export -q

expect bad_cache_port "trend: error: --cache: memcached://127.0.0.1:70000: the port must be between 1 and 65535" -- app --port 0 --cache memcached://127.0.0.1:70000
expect huge_cache_budget "--cache-mb: Value 17592186044416 not in range 0 to 1048576" -- app --port 0 --cache-mb 17592186044416

# Values that look like options are values: --json - is stdout, not an unknown option.
"$trend" run -c "$tmp/ok.yml" --returns "$tmp/ok.csv" --json - --no-export -q >/dev/null 2>"$tmp/stderr" ||
  { echo "FAIL value_like_option: $(head -n 1 "$tmp/stderr")"; failures=$((failures + 1)); }
version=$("$trend" --version) && [[ "$version" =~ ^trend\ [0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  { echo "FAIL version: '$version'"; failures=$((failures + 1)); }

echo "$(( 18 - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
