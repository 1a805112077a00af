#!/usr/bin/env bash
# The sample panel the page opens with (demo/sample_panel.csv) is the script's output, byte for
# byte: the generator is seeded and uses Python's standard library only.
set -u
root="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/scripts/make_sample_panel.py" --out "$tmp/sample_panel.csv" || { echo "FAIL the script failed"; exit 1; }
cmp "$tmp/sample_panel.csv" "$root/demo/sample_panel.csv" || { echo "FAIL demo/sample_panel.csv is not the script's output"; exit 1; }
echo "ok   sample panel"
