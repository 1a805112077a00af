#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, JOBS at a time, from its seeds in
# tests/fuzz/corpus/<target> (new inputs go to a scratch corpus, so the tree stays as it is).
# A crash, a sanitizer report, a leak or a 10 s input fails the run; the input is kept in
# BUILD/artifacts/ and the command that replays it is printed.
# Usage: run_fuzzers.sh BUILD_DIR SECONDS [JOBS] [TARGET...]
set -u
build=$1
seconds=$2
jobs=${3:-2}
shift $(($# < 3 ? $# : 3))
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv_reader config_loader sweep_grid analysis http_api)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/artifacts"

run_one() {
  local target=$1 binary="$build/tests/fuzz/$1_fuzz" dict=()
  case "$target" in
    config_loader | sweep_grid | analysis) dict=(-dict="$here/config.dict") ;;
    http_api) dict=(-dict="$here/http.dict") ;;
  esac
  mkdir -p "$scratch/$target"
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$build/artifacts/$target-" \
    "$scratch/$target" "$here/corpus/$target" >"$scratch/$target.log" 2>&1
  local status=$?
  local runs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$target.log")
  cov=$(grep -o 'cov: [0-9]*' "$scratch/$target.log" | tail -n 1)
  if [ $status -ne 0 ]; then
    echo "FAIL $target (exit $status) after ${runs:-?} runs:"
    grep -E "ERROR|SUMMARY|Test unit written|runtime error" "$scratch/$target.log" | head -n 20
    echo "  replay: $binary $build/artifacts/$target-<crash file>"
    return 1
  fi
  echo "ok   $target: ${runs:-0} runs in ${seconds} s, $cov, no finding"
}

failed=0
running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit $failed
