#!/usr/bin/env bash
# Our native filter in the Bloom peer harness (../shared/peers/bloom), side by side with libbloom
# and pybloom-live: the harness is copied to a scratch directory (the shared one is read-only)
# and run with PRODUCT_BLOOM_CMD = build/release/bench/bloom_driver. Its table is copied to
# bench/results/bloom_peers.md.
# Usage: bash bench/bloom_peers.sh   (after `make build`; SIZES, RATES, RUNS as the harness takes)
set -euo pipefail
cd "$(dirname "$0")/.."
peers="${PEERS_DIR:-../shared/peers}"
[ -f "$peers/bloom/run.sh" ] || { echo "bloom_peers.sh: no harness at $peers/bloom" >&2; exit 1; }
work=$(mktemp -d /tmp/trend-bloom-peers.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$peers/." "$work/"
chmod -R u+w "$work"
PRODUCT_BLOOM_CMD="$PWD/build/release/bench/bloom_driver" PRODUCT_NAME="trend-engine native" \
  PYBLOOM_SRC="$work/bloom/pybloom-live" PYBLOOM_VERSION="4.0.0 (da1a8b3)" \
  bash "$work/bloom/run.sh"
mkdir -p bench/results
cp "$work/results/bloom.md" bench/results/bloom_peers.md
cp "$work/results/bloom.json" bench/results/bloom_peers.json
cat bench/results/bloom_peers.md
