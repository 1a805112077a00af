#!/usr/bin/env bash
# Results are identical to the bit whatever build computed them: `trend run --json -` on every
# golden case (single and multi-period) gives the same bytes from each binary given.
# Usage: identical_builds_test.sh SOURCE_DIR TREND_BINARY...   (at least two binaries)
set -u
source_dir="$(cd "$1" && pwd)"; shift
if [ "$#" -lt 2 ]; then echo "usage: $0 SOURCE_DIR TREND_A TREND_B [TREND_C...]"; exit 2; fi
bins=()
for bin in "$@"; do
  if [ ! -x "$bin" ]; then echo "FAIL: $bin is not built (make test builds it first)"; exit 1; fi
  bins+=("$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")")
done
set -- "${bins[@]}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cases=$(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    if "expected_error" not in c: print(c["kind"], c["name"])' "$source_dir/tests/golden/manifest.json")
checked=0 failures=0
while read -r kind name; do
  dir="$source_dir/tests/golden/cases/$name"
  flags=(run -c "$dir/config.yml" --returns "$dir/returns.csv" --json - --no-export -q)
  [ "$kind" = multi ] && flags+=(--multi-period)
  i=0
  for bin in "$@"; do
    (cd "$dir" && "$bin" "${flags[@]}") >"$tmp/out.$i" 2>/dev/null || { echo "FAIL $name: $bin exited $?"; failures=$((failures + 1)); }
    i=$((i + 1))
  done
  for ((j = 1; j < i; j++)); do
    if ! cmp -s "$tmp/out.0" "$tmp/out.$j"; then
      echo "FAIL $name: ${bins[0]} and ${bins[$j]} differ: $(cmp "$tmp/out.0" "$tmp/out.$j" | head -1)"
      failures=$((failures + 1))
    fi
  done
  [ -s "$tmp/out.0" ] || { echo "FAIL $name: empty output"; failures=$((failures + 1)); }
  checked=$((checked + 1))
done <<<"$cases"
echo "$checked golden cases compared across $# builds, $failures failures"
[ "$checked" -gt 0 ] && [ "$failures" -eq 0 ]
