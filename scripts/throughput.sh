#!/usr/bin/env bash
# Throughput of every dbglog command against ceiling baselines on the same generated log.
# Ratios matter more than absolute MB/s: these machines are shared and drift.
#
# Usage: scripts/throughput.sh [SIZE] [RUNS] [COUNT]   e.g. scripts/throughput.sh 200MB 3 2000
# Besides the SIZE log: an archive of COUNT real-shaped logs (dbglog gen --count), plain and
# one .gz per log, and the start-up cost on a 500-byte log (CPU time; instructions with
# valgrind --tool=callgrind when installed). SKIP_BIG=1 leaves out the SIZE log's rows.
# Needs a release build (built here) and, for the rg baselines, ripgrep (apt-get install ripgrep).
set -uo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-200MB}; RUNS=${2:-3}; COUNT=${3:-2000}
WORK=${TMPDIR:-/tmp}/dbglog-throughput; mkdir -p "$WORK"
cargo build --release -q --bin dbglog --example ceiling || exit 2
B=$PWD/target/release/dbglog
CEIL=$PWD/target/release/examples/ceiling
LOG=$WORK/gen-$SIZE.log
[ -s "$LOG" ] || "$B" gen --size "$SIZE" --seed 1 --namespaces 2 -o "$LOG"
BYTES=$(stat -c %s "$LOG")
# The scan catalogue's literal prefilters, one per line, for rg -F -f.
python3 - "$WORK/patterns.txt" <<'PY'
import re, sys
src = open("src/rules/catalogue.toml", encoding="utf-8").read()
lits = set()
for block in re.findall(r"literals\s*=\s*\[(.*?)\]", src, re.S):
    lits.update(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
open(sys.argv[1], "w").write("\n".join(sorted(lits)) + "\n")
PY
# 64 gzip members of about 1/16 of the log each, for the archive scans.
if [ ! -d "$WORK/gz" ]; then
  mkdir -p "$WORK/gz"; split -n l/64 -d -a 2 "$LOG" "$WORK/gz/part-"
  for f in "$WORK"/gz/part-*; do (head -n1 "$LOG"; cat "$f") | gzip -1 > "$f.log.gz"; rm "$f"; done
fi
GZBYTES=$(for f in "$WORK"/gz/*.gz; do gzip -dc "$f"; done | wc -c)
cat "$LOG" > /dev/null

best() { # best wall seconds of RUNS runs of "$@" (stdout to /dev/null)
  local b=999999 t s e
  for _ in $(seq "$RUNS"); do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l); if (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  echo "$b"
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }
row() { # name bytes seconds baseline_seconds
  local mbs ratio
  mbs=$(echo "$2 / $3 / 1000000" | bc -l)
  if [ -n "${4:-}" ]; then ratio=$(echo "$4 / $3" | bc -l); else ratio=""; fi
  printf "| %-44s | %8.0f | %s |\n" "$1" "$mbs" "${ratio:+$(printf '%.2f× %s' "$ratio" "$5")}"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "log: $LOG ($BYTES bytes), best of $RUNS runs"
echo
echo "| command | MB/s | ratio |"
echo "|---|---:|---|"
if [ -z "${SKIP_BIG:-}" ]; then
t_cat=$(best cat "$LOG");                      row "cat (ceiling)" "$BYTES" "$t_cat"
t_wc=$(best wc -l "$LOG");                     row "wc -l (ceiling)" "$BYTES" "$t_wc"
t_ceil=$(best "$CEIL" "$LOG");                 row "lines + 2× memchr \| + name match (ceiling)" "$BYTES" "$t_ceil"
if command -v rg >/dev/null; then
  t_rg=$(best rg -c -F -f "$WORK/patterns.txt" "$LOG"); row "rg -c -F -f patterns (ceiling)" "$BYTES" "$t_rg"
  t_rgz=$(best rg -z -c -F -f "$WORK/patterns.txt" "$WORK/gz"); row "rg -z -c -F -f, 64 .gz" "$GZBYTES" "$t_rgz"
fi
t_gz=$(best sh -c "for f in $WORK/gz/*.gz; do gzip -dc \$f; done"); row "gzip -dc, 64 .gz (one thread)" "$GZBYTES" "$t_gz"
t=$(best "$B" events --stats "$LOG");          row "dbglog events --stats (one thread)" "$BYTES" "$t" "$t_ceil" "of the parse ceiling"
t=$(best "$B" view --as subscriber "$LOG");    row "dbglog view --as subscriber" "$BYTES" "$t" "$t_cat" "of cat"
t=$(best "$B" view --as subscriber --redact pii "$LOG"); row "dbglog view --as subscriber --redact pii" "$BYTES" "$t" "$t_cat" "of cat"
t=$(best "$B" analyze "$LOG");                 row "dbglog analyze" "$BYTES" "$t"
t=$(best "$B" scan -j 1 --format ndjson "$LOG"); row "dbglog scan -j 1 (plain)" "$BYTES" "$t" "${t_rg:-}" "of rg -F -f"
t=$(best "$B" scan --format ndjson "$LOG");    row "dbglog scan (plain, default -j)" "$BYTES" "$t" "${t_rg:-}" "of rg -F -f"
t=$(best "$B" scan -j 2 --format ndjson "$WORK/gz"); row "dbglog scan -j 2, 64 .gz" "$GZBYTES" "$t" "${t_rgz:-}" "vs rg -z"
# grep: a literal found on under 1% of lines, next to rg on the same literal.
LIT="UNABLE_TO_LOCK_ROW"
if command -v rg >/dev/null; then
  t_rg1=$(best rg -c -F "$LIT" "$LOG"); row "rg -c -F $LIT ($(rg -c -F "$LIT" "$LOG") lines)" "$BYTES" "$t_rg1"
fi
t=$(best "$B" grep -c -F "$LIT" "$LOG");       row "dbglog grep -c -F $LIT" "$BYTES" "$t" "${t_rg1:-}" "vs rg -c -F"
t=$(best "$B" grep -F "$LIT" "$LOG");          row "dbglog grep -F $LIT (hits with namespace)" "$BYTES" "$t" "${t_rg1:-}" "vs rg -c -F"
t=$(best "$B" view --level APEX_CODE=DEBUG "$LOG"); row "dbglog view --level APEX_CODE=DEBUG" "$BYTES" "$t" "$t_cat" "of cat"
t=$(best "$B" capture --dir "$WORK/cap" --gzip "$LOG"); rm -rf "$WORK/cap"; row "dbglog capture --gzip" "$BYTES" "$t"
t_gzc=$(best sh -c "gzip -1 -c $LOG"); row "gzip -1 -c (capture baseline)" "$BYTES" "$t_gzc"
fi

# The archive: COUNT logs shaped like real ones (median ~16 KB, 90% under ~250 KB, ~15% with
# a known error), plain and one .gz per log.
ARCH=$WORK/archive-$COUNT; ARCHGZ=$WORK/archive-$COUNT-gz
if [ ! -d "$ARCH" ]; then "$B" gen --count "$COUNT" --seed 1 --namespaces 2 -o "$ARCH" || exit 2; fi
if [ ! -d "$ARCHGZ" ]; then
  mkdir -p "$ARCHGZ"
  for f in "$ARCH"/*.log; do gzip -1 -c "$f" > "$ARCHGZ/$(basename "$f").gz"; done
fi
ABYTES=$(cat "$ARCH"/*.log | wc -c)
cat "$ARCH"/*.log "$ARCHGZ"/*.gz > /dev/null
echo
echo "archive: $ARCH ($COUNT logs, $ABYTES bytes; $(du -sb "$ARCHGZ" | cut -f1) bytes gzipped)," \
  "logs with a finding: $("$B" scan --format ndjson "$ARCH" | grep '"type":"finding"' | grep -o '"file":"[^"]*"' | sort -u | wc -l)"
echo
echo "| command | MB/s | ratio |"
echo "|---|---:|---|"
if command -v rg >/dev/null; then
  t_arg=$(best rg -c -F -f "$WORK/patterns.txt" "$ARCH");        row "rg -c -F -f, archive" "$ABYTES" "$t_arg"
  t_arg1=$(best rg -j 1 -c -F -f "$WORK/patterns.txt" "$ARCH");  row "rg -j 1 -c -F -f, archive" "$ABYTES" "$t_arg1"
  t_argz=$(best rg -z -c -F -f "$WORK/patterns.txt" "$ARCHGZ");  row "rg -z -c -F -f, archive .gz" "$ABYTES" "$t_argz"
fi
t_as=$(best "$B" scan --format ndjson "$ARCH");  row "dbglog scan, archive" "$ABYTES" "$t_as" "${t_arg:-}" "of rg -F -f"
t=$(best "$B" scan -j 1 --format ndjson "$ARCH"); row "dbglog scan -j 1, archive" "$ABYTES" "$t" "${t_arg1:-}" "of rg -j 1 -F -f"
t=$(best "$B" scan --format ndjson "$ARCHGZ");   row "dbglog scan, archive .gz" "$ABYTES" "$t" "${t_argz:-}" "vs rg -z"
# analyze of the whole real-shaped archive folder in one run (issue 21: >= 0.5x of scan).
t=$(best "$B" analyze --format ndjson "$ARCH");  row "dbglog analyze, archive (one run)" "$ABYTES" "$t" "$t_as" "of scan"
t=$(best "$B" analyze -j 1 --format ndjson "$ARCH"); row "dbglog analyze -j 1, archive (one run)" "$ABYTES" "$t"
t=$(best "$B" compare "$ARCH" "$ARCH");          row "dbglog compare, archive vs itself" "$((2 * ABYTES))" "$t"

# Start-up: a 500-byte log (its first lines), CPU time per run and, with valgrind,
# instructions (deterministic).
SMALL=$WORK/small.log
head -c 600 "$ARCH/log-00000.log" | head -n -1 > "$SMALL"
echo
echo "start-up, $(stat -c %s "$SMALL")-byte log:"
for cmd in "events --stats" "analyze" "scan"; do
  # shellcheck disable=SC2086
  cpu=$(perf stat -x, -e task-clock -r 20 "$B" $cmd "$SMALL" 2>&1 >/dev/null | grep task-clock | cut -d, -f1)
  ins=""
  if command -v valgrind >/dev/null; then
    # shellcheck disable=SC2086
    ins=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$B" $cmd "$SMALL" 2>&1 >/dev/null \
      | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*')
  fi
  echo "  dbglog $cmd: ${cpu:-?} ms CPU (perf stat -r 20), ${ins:-?} instructions"
done
[ -n "${SKIP_BIG:-}" ] && exit 0
echo
echo "peak RSS (KB): analyze $(rss "$B" analyze "$LOG") for a $((BYTES/1024)) KB log;" \
  "view from stdin, 1 GB generated log: $("$B" gen --size 1GB --seed 2 | rss "$B" view --as subscriber -);" \
  "scan from stdin, same: $("$B" gen --size 1GB --seed 2 | rss "$B" scan --format ndjson -)"
