#!/bin/sh
# scripts/run-fuzz.sh BUILD_DIR [SECONDS]: run every libFuzzer target found in
# BUILD_DIR/fuzz for SECONDS each (default 60), one after the other, each on a fresh
# copy of its committed seed corpus (fuzz/corpus/<target>/, left untouched). Prints the
# execution count per target; exits non-zero if any target finds a crash, leak or
# invariant failure (the log and the reproducer stay in BUILD_DIR/fuzz/).
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [SECONDS]" >&2
  exit 2
fi
build=$1
secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$build/fuzz
targets=$(find "$dir" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | sort)
if [ -z "$targets" ]; then
  echo "run-fuzz: no fuzz targets in $dir (configure with CC=clang -DTROUPE_FUZZ=ON)" >&2
  exit 1
fi

status=0
for t in $targets; do
  name=$(basename "$t")
  work=$(mktemp -d "${TMPDIR:-/tmp}/troupe-$name.XXXXXX")
  seeds=0
  if [ -d "$root/fuzz/corpus/$name" ]; then
    cp -R "$root/fuzz/corpus/$name/." "$work/"
    seeds=$(find "$work" -type f | wc -l)
  fi
  log=$dir/$name.log
  echo "$name: fuzzing for ${secs}s from $seeds seed(s)..."
  if "$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$dir/$name-" "$work" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    grown=$(find "$work" -type f | wc -l)
    echo "$name: clean, ${execs:-?} executions in ${secs}s, corpus $seeds -> $grown inputs"
  else
    echo "$name: FAILED (log: $log)"
    grep -E 'ERROR|invariant|SUMMARY|Test unit written' "$log" | head -n 20 || true
    status=1
  fi
  rm -rf "$work"
done
exit $status
