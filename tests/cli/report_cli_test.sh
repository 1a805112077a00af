#!/usr/bin/env bash
# trend report: a self-contained HTML report that opens offline and holds the run's numbers,
# the multi-period sections, a PDF printed by headless Chromium, and clear errors for a wrong
# extension or a missing browser.
set -u
trend="$1"
root="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }

"$trend" report -c "$root/config/demo.yml" -o "$tmp/report.html" 2>"$tmp/err" ||
  fail "trend report: $(cat "$tmp/err")"
"$trend" run -c "$root/config/demo.yml" --json "$tmp/run.json" --no-export -q 2>/dev/null ||
  fail "trend run --json failed"
cagr=$(python3 -c 'import json,sys; print("%.2f%%" % (100*json.load(open(sys.argv[1]))["out_user_stats"]["cagr"]))' "$tmp/run.json")
grep -q "<b>$cagr</b>" "$tmp/report.html" || fail "the report's headline CAGR is not $cagr"
grep -q '<script' "$tmp/report.html" && fail "the report has a script"
grep -Eq '(src|href)="(https?:)?//' "$tmp/report.html" && fail "the report fetches something"
# Offline: a browser with every network request refused draws the charts.
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || fail "chromium is not installed (scripts/bootstrap.sh installs it)"
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --user-data-dir="$tmp/profile" --host-resolver-rules="MAP * ~NOTFOUND" --dump-dom \
  "file://$tmp/report.html" >"$tmp/dom.html" 2>/dev/null || fail "chromium could not open the report"
[ "$(grep -o '<svg' "$tmp/dom.html" | wc -l)" -ge 4 ] || fail "the opened report has under 4 charts"

"$trend" report -c "$root/config/demo.yml" --multi-period -o "$tmp/multi.html" 2>"$tmp/err" ||
  fail "trend report --multi-period: $(cat "$tmp/err")"
for section in "Periods" "Weights over time" "Manager changes" "Contributors" "Transaction cost per period"; do
  grep -q "$section" "$tmp/multi.html" || fail "the multi-period report has no '$section'"
done

"$trend" report -c "$root/config/demo.yml" -o "$tmp/report.pdf" 2>"$tmp/err" ||
  fail "trend report -o .pdf: $(cat "$tmp/err")"
[ "$(head -c 5 "$tmp/report.pdf")" = "%PDF-" ] || fail "report.pdf is not a PDF"

TREND_CHROMIUM=/nonexistent "$trend" report -c "$root/config/demo.yml" -o "$tmp/none.pdf" 2>"$tmp/err"
[ $? -eq 2 ] || fail "a PDF without a browser did not exit 2"
grep -q "headless Chromium, which is not installed" "$tmp/err" || fail "no clear message: $(cat "$tmp/err")"
[ -e "$tmp/none.pdf" ] && fail "a PDF was left without a browser"
"$trend" report -c "$root/config/demo.yml" -o "$tmp/report.docx" 2>"$tmp/err"
[ $? -eq 2 ] || fail "-o .docx did not exit 2"
grep -q "a report is .html or .pdf" "$tmp/err" || fail "no clear message: $(cat "$tmp/err")"
echo "ok   trend report"
