#!/usr/bin/env bash
# Reproduces the README's performance table: Google Benchmark kernels and in-process analysis,
# then the whole `trend run` process (median of N runs, peak RSS) on three inputs.
# Usage: bash bench/run_benchmarks.sh [RUNS]   (after `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
bin=build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin/bench/bench_make_inputs" "$work"
echo "== Google Benchmark (in process) =="
"$bin/bench/pipeline_benchmark" --benchmark_min_time=0.5 2>/dev/null

# median wall time (ms) and peak RSS (MB) of a command over $runs runs
measure() {
  local times=() rss=0
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  if [ -x /usr/bin/time ]; then
    rss=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
  fi
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v t="$median" -v m="$rss" 'BEGIN { printf "%8.2f ms  %6.1f MB", t / 1000, m / 1024 }' 
}

echo
echo "== Whole process: trend run (median of $runs, peak RSS) =="
printf '%-34s %s\n' "demo (config/demo.yml, 21x120)" "$(measure "$bin/src/cli/trend" run -c config/demo.yml --no-export -q)"
printf '%-34s %s\n' "500 funds x 360 months, rank+HRP" "$(measure "$bin/src/cli/trend" run -c "$work/bench_500x360.yml" --no-export -q)"
printf '%-34s %s\n' "200 funds x 10y daily" "$(measure "$bin/src/cli/trend" run -c "$work/bench_daily_200x10y.yml" --no-export -q)"
printf '%-34s %s\n' "demo with all exports" "$(cd "$work" && measure "$OLDPWD/$bin/src/cli/trend" run -c "$OLDPWD/config/demo.yml" --out "$work/out" -q)"
printf '%-34s %s\n' "500x360, 27 yearly periods" "$(measure "$bin/src/cli/trend" run --multi-period -c "$work/bench_multi_500x360.yml" --no-export -q)"
printf '%-34s %s\n' "500x360, threshold-hold 108 qtrs" "$(measure "$bin/src/cli/trend" run --multi-period -c "$work/bench_threshold_500x360.yml" --no-export -q)"

echo
echo "== Sweep: config/sweeps/demo_grid.yml (10,000 demo-sized single-period configurations) =="
"$bin/src/cli/trend" sweep -c config/sweeps/demo_sweep.yml --grid config/sweeps/demo_grid.yml --out "$work/sweep" --top 0 | head -n 1
"$bin/src/cli/trend" sweep -c config/sweeps/demo_sweep.yml --grid config/sweeps/demo_grid.yml --scaling --scaling-sample 10000
