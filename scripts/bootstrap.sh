#!/usr/bin/env bash
# Installs the Debian packages Trend Engine builds and tests with. Idempotent and
# non-interactive: packages already present are skipped, so a second run costs ~1 s.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libyaml-cpp-dev libeigen3-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libxlsxwriter-dev libgtest-dev libgmock-dev libbenchmark-dev libtbb-dev
  libboost-dev libssl-dev libhiredis-dev libmemcached-dev redis-server memcached wrk
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
