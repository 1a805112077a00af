#!/usr/bin/env bash
# Installs the Debian packages Trend Engine builds and tests with, and the web page's npm
# packages (web/package-lock.json). Idempotent and non-interactive: what is already present
# is skipped, so a second run costs well under a second.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libyaml-cpp-dev libeigen3-dev nlohmann-json3-dev libcli11-dev libsimdjson-dev libfmt-dev help2man
  libxlsxwriter-dev libgtest-dev libgmock-dev libbenchmark-dev libtbb-dev
  libboost-dev libssl-dev libhiredis-dev libmemcached-dev redis-server memcached wrk
  chromium clang libclang-rt-dev
  libxxhash-dev libsqlite3-dev sqlite3 libpq-dev postgresql python3-xxhash python3-bitarray
  goaccess bc python3-celery python3-kombu python3-redis python3-pytest
  librabbitmq-dev rabbitmq-server python3-amqp
  zsh libzip-dev python3-openpyxl pybind11-dev python3-dev python3-pandas python3-numpy python3-yaml
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# Node.js and npm for the web page (web/): the machine's own if it has them, else Debian's.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# The web page's packages (Chart.js), exactly as web/package-lock.json pins them; again only
# when the lock file changed since the last install.
web="$(dirname "$0")/../web"
if [ ! -f "$web/node_modules/.package-lock.json" ] ||
   [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "bootstrap: npm ci in web/"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi
