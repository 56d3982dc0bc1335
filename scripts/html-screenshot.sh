#!/usr/bin/env bash
# Draw a log's HTML report and take a screenshot of it with headless Chromium, for a
# reviewer to look at (kept out of the repo):
#   scripts/html-screenshot.sh [LOG] [OUT.png] [extra analyze flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
log="${1:-fixtures/e2cp-handled.log}"
png="${2:-target/html-report.png}"
shift $(( $# > 2 ? 2 : $# ))
page="${png%.png}.html"
cargo run -q --release -- analyze "$log" --format html -o "$page" "$@"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1300,1600 --hide-scrollbars \
  --screenshot="$(realpath -m "$png")" "file://$(realpath "$page")" 2>/dev/null
echo "$png (page: $page, $(wc -c <"$page") bytes)"
