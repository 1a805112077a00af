#!/usr/bin/env bash
# `trend bloom build|check|info`, and pybloom-live interop in both directions through Python:
# pybloom-live (the snapshot beside the repository, ../shared/peers/bloom/pybloom-live, run
# with Debian's python3-xxhash and python3-bitarray) loads the files written here, and the
# files it wrote (tests/bloom/pybloom_live) are read here.
# Usage: bloom_cli_test.sh TREND SOURCE_DIR
set -u
trend="$1"
source_dir="$2"
interop="$source_dir/tests/bloom/pybloom_live"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

# build (pybloom format) from the same keys gives pybloom-live's own bytes
"$trend" bloom build --capacity 10000 --error-rate 0.001 --format pybloom -o "$tmp/fixed.bloom" \
  <"$interop/keys_in.txt" 2>"$tmp/build.err" || fail "build pybloom: $(cat "$tmp/build.err")"
cmp -s "$tmp/fixed.bloom" "$interop/fixed_10000_p0.001.bloom" && ok "pybloom build = pybloom-live's bytes" \
  || fail "pybloom build differs from pybloom-live's file"
grep -q "10000 keys read, 0 already present" "$tmp/build.err" && ok "build summary" || fail "build summary: $(cat "$tmp/build.err")"
"$trend" bloom build --capacity 1000 --error-rate 0.01 --scalable --growth 2 --format pybloom \
  -o "$tmp/small.bloom" <"$interop/keys_in.txt" 2>/dev/null
cmp -s "$tmp/small.bloom" "$interop/scalable_1000_p0.01_small.bloom" && ok "pybloom scalable build = pybloom-live's bytes" \
  || fail "pybloom scalable build differs"

# check: present/absent per key, exit 1 when any is absent
out=$("$trend" bloom check "$interop/fixed_10000_p0.001.bloom" "$(head -n 1 "$interop/keys_in.txt")" "never added")
status=$?
[ "$status" -eq 1 ] && [ "$out" = "$(printf 'present\t%s\nabsent\tnever added' "$(head -n 1 "$interop/keys_in.txt")")" ] \
  && ok "check with keys" || fail "check with keys: status $status, output: $out"
present=$("$trend" bloom check "$interop/scalable_1000_p0.01_large.bloom" <"$interop/keys_out.txt" | grep -c '^present')
[ "$present" -eq 172 ] && ok "check from stdin: pybloom-live's 172 false positives" || fail "check stdin: $present present"
"$trend" bloom check "$interop/fixed_10000_p0.001.bloom" <"$interop/keys_in.txt" >/dev/null && ok "every key in present (exit 0)" \
  || fail "keys_in not all present"

# native: build, info, check by mmap
"$trend" bloom build --capacity 20000 --error-rate 0.01 -o "$tmp/native.bloom" <"$interop/keys_in.txt" 2>/dev/null
info=$("$trend" bloom info --json "$tmp/native.bloom")
echo "$info" | grep -q '"format":"native"' && echo "$info" | grep -q '"kind":"fixed"' && echo "$info" | grep -q '"capacity":20000' \
  && ok "info --json" || fail "info --json: $info"
"$trend" bloom check --mmap "$tmp/native.bloom" <"$interop/keys_in.txt" >/dev/null && ok "check --mmap" || fail "check --mmap"
fp=$("$trend" bloom check "$tmp/native.bloom" <"$interop/keys_out.txt" | grep -c '^present')
[ "$fp" -le 105 ] && ok "native false positives on 10,000 keys never added: $fp (<= 1.05%)" || fail "native FP $fp"
"$trend" bloom info "$interop/scalable_1000_p0.01_small.bloom" | grep -q "^kind: *scalable" && ok "info text" || fail "info text"

# bad input: exit 2 and one line
"$trend" bloom build --capacity 10 -o "$tmp/full.bloom" <"$interop/keys_in.txt" 2>"$tmp/err"; status=$?
[ "$status" -eq 2 ] && grep -q "stdin line 11: BloomFilter is at capacity (10 keys)" "$tmp/err" && [ ! -e "$tmp/full.bloom" ] \
  && ok "capacity exceeded: exit 2, no file" || fail "capacity: status $status $(cat "$tmp/err")"
head -c 100 "$tmp/native.bloom" >"$tmp/cut.bloom"
"$trend" bloom info "$tmp/cut.bloom" 2>"$tmp/err" >/dev/null; status=$?
[ "$status" -eq 2 ] && grep -q "cut.bloom: truncated" "$tmp/err" && ok "truncated native file" || fail "truncated: $status $(cat "$tmp/err")"
"$trend" bloom check /etc/hostname x 2>"$tmp/err" >/dev/null; status=$?
[ "$status" -eq 2 ] && grep -q "neither a Trend Engine filter nor a pybloom-live" "$tmp/err" && ok "not a filter" || fail "not a filter: $status"
"$trend" bloom build --capacity 100 --error-rate 1.5 -o "$tmp/x.bloom" </dev/null 2>"$tmp/err"; status=$?
[ "$status" -eq 2 ] && ok "error rate out of range" || fail "error rate 1.5: status $status"
"$trend" bloom build --capacity 100 --growth 2 -o "$tmp/g.bloom" </dev/null 2>"$tmp/err"
grep -q "warning: --growth has no effect without --scalable" "$tmp/err" && ok "growth without scalable warns" || fail "no growth warning"

# Python's pybloom-live reads what we wrote (the other direction is above and in bloom_test).
pybloom="$source_dir/../shared/peers/bloom/pybloom-live"
if [ -f "$pybloom/pybloom_live/pybloom.py" ] && /usr/bin/python3 -c 'import xxhash, bitarray' 2>/dev/null; then
  printf 'alpha\nbeta\ngamma\n' | "$trend" bloom build --capacity 100 --error-rate 0.01 --format pybloom -o "$tmp/ours.bloom" 2>/dev/null
  seq 1 3000 | "$trend" bloom build --capacity 100 --error-rate 0.01 --scalable --format pybloom -o "$tmp/ours_scalable.bloom" 2>/dev/null
  if PYTHONPATH="$pybloom" /usr/bin/python3 - "$tmp" <<'PY'
import sys
from pybloom_live import BloomFilter, ScalableBloomFilter
tmp = sys.argv[1]
with open(f"{tmp}/ours.bloom", "rb") as f:
    bf = BloomFilter.fromfile(f)
assert len(bf) == 3 and all(k in bf for k in ("alpha", "beta", "gamma")), "fixed"
assert bf.add("alpha") is True and bf.add("delta") is False
with open(f"{tmp}/ours_scalable.bloom", "rb") as f:
    sbf = ScalableBloomFilter.fromfile(f)
assert all(str(i) in sbf for i in range(1, 3001)), "scalable members"
ref = ScalableBloomFilter(initial_capacity=100, error_rate=0.01)
for i in range(1, 3001):
    ref.add(str(i))
assert len(sbf) == len(ref) and [f.count for f in sbf.filters] == [f.count for f in ref.filters]
assert all(a.bitarray.tobytes() == b.bitarray.tobytes() for a, b in zip(sbf.filters, ref.filters)), "bits differ"
PY
  then ok "pybloom-live (Python) loads our files and finds what Python itself would"
  else fail "pybloom-live could not use our files"; fi
else
  echo "skip pybloom-live in Python: $pybloom or python3-xxhash/bitarray missing"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
