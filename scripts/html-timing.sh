#!/usr/bin/env bash
# Measure the HTML report (a measurement, not a test; release build, headless Chromium):
# the page's size and load (first paint) for a fixture, a 20 MB generated log and the
# largest corpus log, and the time per interaction (zoom, pan, hover, unfold, filter) on
# the 20 MB log's page, through examples/html_timing.rs (DevTools protocol over a pipe).
#   scripts/html-timing.sh [ROUNDS]
# Pages and logs go to target/html-timing/ (kept out of the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-10}"
out=target/html-timing
mkdir -p "$out"
cargo build -q --release
# The measuring tool itself needs no optimisation (it waits on the browser).
cargo build -q --example html_timing
bin=target/release/dbglog
timing=target/debug/examples/html_timing
[ -f "$out/gen-20MB.log" ] || "$bin" gen --size 20MB --seed 1 -o "$out/gen-20MB.log"
corpus="${DBGLOG_CORPUS:-../shared/corpus}"
largest=""
if [ -d "$corpus" ]; then
  largest="$(find "$corpus" -type f ! -name 'MANIFEST*' ! -name 'README*' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)"
fi
page() { # NAME LOG [analyze flags…]: write the page, print its size and the time to write it
  local name="$1" log="$2"; shift 2
  local start end
  start=$(date +%s.%N)
  "$bin" analyze "$log" --format html -o "$out/$name.html" "$@"
  end=$(date +%s.%N)
  printf '%s: log %s bytes -> page %s bytes, written in %.2f s\n' "$name" \
    "$(wc -c <"$log")" "$(wc -c <"$out/$name.html")" "$(echo "$end - $start" | bc)"
}
page fixture fixtures/e2cp-handled.log
page gen-20MB "$out/gen-20MB.log"
page gen-20MB-embed "$out/gen-20MB.log" --embed-log
[ -n "$largest" ] && page corpus-largest "$largest"
echo
"$timing" "$out/fixture.html" 0
[ -n "$largest" ] && "$timing" "$out/corpus-largest.html" 0
"$timing" "$out/gen-20MB-embed.html" 0
"$timing" "$out/gen-20MB.html" "$rounds"
