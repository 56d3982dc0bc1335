#!/usr/bin/env bash
# Build a large log by repeating the event bodies of logs (default: the project's fixtures;
# pass a folder such as ../shared/corpus to use real logs). Usage: scripts/bigfile.sh OUT SIZE_MB [DIR]
set -euo pipefail
out=$1; mb=$2; dir=${3:-$(dirname "$0")/../fixtures}
body=$(mktemp)
for f in "$dir"/*.log; do
  # skip UTF-16 files and traps that are deliberately odd
  case "$(basename "$f")" in trap-utf16*|trap-header-only*|trap-no-header*) continue;; esac
  tail -n +2 "$f" >> "$body"
done
head -n 1 "$dir/e2cp-handled.log" > "$out" 2>/dev/null || echo "61.0 APEX_CODE,FINEST;APEX_PROFILING,FINE;DB,FINEST;SYSTEM,FINE" > "$out"
target=$((mb * 1024 * 1024))
while [ "$(stat -c %s "$out")" -lt "$target" ]; do cat "$body" "$body" "$body" "$body" >> "$out"; done
rm -f "$body"
ls -l "$out"
