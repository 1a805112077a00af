#!/usr/bin/env bash
# Regenerates docs/screenshots/ (the README shows them): the workbench's main views, taken by
# the browser test as it runs (tests/web/workbench_test.mjs), and the first page of the HTML
# report of `trend report`. Needs a release build (cmake --preset release && ninja -C
# build/release) and scripts/bootstrap.sh's chromium and npm packages.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
trend="$root/build/release/src/cli/trend"
out="$root/docs/screenshots"
mkdir -p "$out"
node "$root/tests/web/workbench_test.mjs" "$trend" "$root" --screenshots "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$trend" report -c "$root/config/sample.yml" --multi-period -o "$tmp/report.html" 2>/dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
  --window-size=1000,1400 --screenshot="$out/report.png" "file://$tmp/report.html" >/dev/null 2>&1
ls "$out"
