#!/usr/bin/env bash
# Runs the Postgres* tests (PostgresAppend, PostgresMigrations) of TEST_BINARY against a
# PostgreSQL of their own (initdb + postgres in a temp dir, on a free loopback port); skipped
# (77) without the server.
# Usage: postgres_append_test.sh TEST_BINARY SOURCE_DIR
set -u
test_binary=$(realpath "$1")
source "$2/tests/support/postgres_server.sh"
tmp=$(mktemp -d)
trap 'pg_stop; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # the server runs as the postgres user when we are root
pg_start "$tmp/pg"; status=$?
[ "$status" -eq 77 ] && exit 77
[ "$status" -eq 0 ] || { echo "FAIL could not start PostgreSQL"; exit 1; }
TREND_TEST_POSTGRES_URL="$PG_URL" "$test_binary" --gtest_filter='Postgres*'
