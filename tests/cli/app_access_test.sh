#!/usr/bin/env bash
# Access control of `trend app`: no listening beyond loopback without a token; with one, every
# API call needs "Authorization: Bearer <token>" except the public paths; a Host that is not
# the server's (DNS rebinding) is refused on loopback.
set -u
trend="$1"
tmp=$(mktemp -d)
. "$(dirname "$0")/app_helpers.sh"

# request PORT PATH [HEADER...] -> the status line's code
request() {
  local port=$1 path=$2
  shift 2
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  {
    printf 'GET %s HTTP/1.1\r\nConnection: close\r\n' "$path"
    for h in "$@"; do printf '%s\r\n' "$h"; done
    printf '\r\n'
  } >&3
  head -n 1 <&3 | awk '{print $2}'
  exec 3<&-
}

# Off loopback without a token: refused before listening, naming the way out.
unset TREND_TOKEN
"$trend" app --host 0.0.0.0 --port 0 2>"$tmp/open.err"
[ $? -eq 2 ] || fail "--host 0.0.0.0 without a token must exit 2"
grep -q -- "--token FILE or TREND_TOKEN" "$tmp/open.err" || fail "message: $(cat "$tmp/open.err")"
# Tokens too short, or unfit for a header, are refused.
printf 'short\n' >"$tmp/short.token"
"$trend" app --token "$tmp/short.token" --port 0 2>"$tmp/short.err"
[ $? -eq 2 ] && grep -q "at least 16" "$tmp/short.err" || fail "short token: $(cat "$tmp/short.err")"
TREND_TOKEN="has a space in it somewhere" "$trend" app --port 0 2>"$tmp/space.err"
[ $? -eq 2 ] && grep -q "TREND_TOKEN: the token must be printable" "$tmp/space.err" ||
  fail "token with spaces: $(cat "$tmp/space.err")"

token=0123456789abcdef0123456789abcdef
printf '%s\n' "$token" >"$tmp/token"
chmod 600 "$tmp/token"
start_app guarded --token "$tmp/token"
host="Host: 127.0.0.1:$port"
[ "$(request "$port" /api/v1/config/defaults "$host")" = 401 ] || fail "no token: expected 401"
[ "$(request "$port" /api/v1/config/defaults "$host" "Authorization: Bearer wrong")" = 401 ] ||
  fail "wrong token: expected 401"
[ "$(request "$port" /api/v1/config/defaults "$host" "Authorization: Basic $token")" = 401 ] ||
  fail "another scheme: expected 401"
[ "$(request "$port" /api/v1/config/defaults "$host" "Authorization: Bearer $token")" = 200 ] ||
  fail "the token: expected 200"
[ "$(request "$port" /metrics "$host")" = 401 ] || fail "/metrics needs the token by default"
for public in /healthz /api/v1/healthz / /assets/app.js; do
  [ "$(request "$port" "$public" "$host")" = 200 ] || fail "$public is public"
done
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /api/v1/openapi.json HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n' "$host" >&3
reply=$(cat <&3)
exec 3<&-
echo "$reply" | header www-authenticate | grep -q '^Bearer' || fail "401 without WWW-Authenticate"

# TREND_TOKEN works as --token does; /metrics can be made public for a scraper.
TREND_TOKEN=$token start_app env --public-paths /healthz,/metrics
host="Host: localhost:$port"
[ "$(request "$port" /api/v1/config/defaults "$host")" = 401 ] || fail "TREND_TOKEN: expected 401"
[ "$(request "$port" /api/v1/config/defaults "$host" "Authorization: Bearer $token")" = 200 ] ||
  fail "TREND_TOKEN: the token"
[ "$(request "$port" /metrics "$host")" = 200 ] || fail "--public-paths /metrics"

# DNS rebinding: on loopback only loopback names; --allowed-hosts widens the list.
start_app plain --public-paths /healthz,/metrics
grep -q "warning: --public-paths has no effect" "$tmp/plain.err" ||
  fail "--public-paths without a token is not reported: $(cat "$tmp/plain.err")"
for name in "127.0.0.1:$port" "localhost" "[::1]:$port" "LOCALHOST:$port"; do
  [ "$(request "$port" /api/v1/config/defaults "Host: $name")" = 200 ] || fail "Host $name"
done
[ "$(request "$port" /api/v1/config/defaults "Host: evil.example:$port")" = 400 ] ||
  fail "a rebound name must be refused"
[ "$(request "$port" /api/v1/config/defaults)" = 400 ] || fail "no Host: refused"
start_app named --allowed-hosts trend.internal,localhost
[ "$(request "$port" /api/v1/config/defaults "Host: trend.internal:$port")" = 200 ] ||
  fail "--allowed-hosts"
[ "$(request "$port" /api/v1/config/defaults "Host: 127.0.0.1")" = 400 ] ||
  fail "--allowed-hosts replaces the default list"
echo "ok   access control"
