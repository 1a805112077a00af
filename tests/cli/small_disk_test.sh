#!/usr/bin/env bash
# A disk that fills up: on a 16 KiB tmpfs (mounted in a private mount namespace, as root or
# in a user namespace) every output of `trend run` and `trend sweep` is whole or absent, no
# temporary is left, and the command exits 2 naming the path. Exit 77 (skipped) where no
# tmpfs can be mounted.
set -u
trend=$(realpath "$1")
root=$(realpath "$2")
if [ "${3:-}" != "--inside" ]; then
  for how in "unshare -m" "unshare -rm"; do
    if $how true 2>/dev/null; then exec $how bash "$0" "$trend" "$root" --inside; fi
  done
  echo "SKIP: cannot make a mount namespace here"
  exit 77
fi
tmp=$(mktemp -d)
trap 'umount "$tmp/disk" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
mkdir "$tmp/disk"
mount -t tmpfs -o size=16k tmpfs "$tmp/disk" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
cd "$root"
no_temporaries() { ! find "$tmp/disk" -name '*.tmp.*' | grep -q .; }

# The reference outputs, on a disk with room.
mkdir "$tmp/room"
"$trend" run -c config/demo.yml --out "$tmp/room" --json "$tmp/room/doc.json" -q ||
  fail "the demo run"

# --json: 20 KB do not fit; nothing is left under the name.
"$trend" run -c config/demo.yml --json "$tmp/disk/doc.json" --no-export -q 2>"$tmp/err"
[ $? -eq 2 ] || fail "--json on a full disk: expected exit 2"
grep -q "$tmp/disk/doc.json: cannot write the file: No space left on device" "$tmp/err" ||
  fail "--json error: $(cat "$tmp/err")"
[ ! -e "$tmp/disk/doc.json" ] && no_temporaries || fail "--json left a file: $(ls -la "$tmp/disk")"

# Exports: those that fit are whole (equal to the reference), the rest absent.
"$trend" run -c config/demo.yml --out "$tmp/disk/exports" -q 2>"$tmp/err"
[ $? -eq 2 ] || fail "exports on a full disk: expected exit 2"
grep -q "trend: error: $tmp/disk/exports/analysis" "$tmp/err" || fail "exports error: $(cat "$tmp/err")"
for file in "$tmp/disk/exports"/*; do
  name=$(basename "$file")
  case "$name" in
    *.xlsx) [ "$(wc -c <"$file")" -gt 1000 ] || fail "$name is short" ;;
    *) cmp -s "$file" "$tmp/room/$name" || fail "$name differs from a whole one" ;;
  esac
done
no_temporaries || fail "exports left temporaries: $(ls -la "$tmp/disk/exports")"
rm -rf "${tmp:?}/disk/"*

# A sweep that cannot write its results: exit 2, no results file, not one of the two.
"$trend" sweep -c config/sweeps/demo_sweep.yml --grid config/sweeps/demo_grid.yml \
  --out "$tmp/disk/sweep" -q 2>"$tmp/err"
[ $? -eq 2 ] || fail "sweep on a full disk: expected exit 2 (got $?): $(cat "$tmp/err")"
grep -q "cannot write the results" "$tmp/err" || fail "sweep error: $(cat "$tmp/err")"
[ ! -e "$tmp/disk/sweep/results.csv" ] && [ ! -e "$tmp/disk/sweep/results.jsonl" ] ||
  fail "the sweep left results: $(ls -la "$tmp/disk/sweep")"
no_temporaries || fail "the sweep left temporaries"
echo "ok   a full disk leaves whole files or none"
