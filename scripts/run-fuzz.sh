#!/bin/sh
# scripts/run-fuzz.sh BUILD_DIR [SECONDS]: run every libFuzzer target found in
# BUILD_DIR/fuzz for SECONDS each (default 60), one after the other, each on a fresh
# copy of its committed seed corpus (fuzz/corpus/<target>/, left untouched), plus, for
# the wasm targets, FUZZ_TTF_MODULES (default 300) valid modules generated now by
# scripts/gen-ttf-corpus.sh into BUILD_DIR/fuzz/gen-ttf/ (fixed seeds), and
# with fuzz/<target>.dict as dictionary when there is one. Prints the execution count
# per target; exits non-zero if any target finds a crash, leak or invariant failure
# (the log and the reproducer stay in BUILD_DIR/fuzz/).
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

# Generated seeds: valid modules from binaryen's translate-to-fuzz, made once per build
# dir and count (a stamp file records the count).
generated() { # TARGET -> prints the folder of generated seeds, if the target has one
  case $1 in
    fuzz_wasm_load | fuzz_wasm_run)
      n=${FUZZ_TTF_MODULES:-300}
      gen=$dir/gen-ttf
      if [ "$(cat "$gen/.count" 2>/dev/null)" != "$n" ]; then
        rm -rf "$gen"
        "$root/scripts/gen-ttf-corpus.sh" "$gen" 1 "$n" >&2
        echo "$n" >"$gen/.count"
      fi
      echo "$gen"
      ;;
  esac
}

status=0
for t in $targets; do
  name=$(basename "$t")
  work=$(mktemp -d "${TMPDIR:-/tmp}/troupe-$name.XXXXXX")
  if [ -d "$root/fuzz/corpus/$name" ]; then
    cp -R "$root/fuzz/corpus/$name/." "$work/"
  fi
  gen=$(generated "$name")
  if [ -n "$gen" ]; then
    cp "$gen"/*.wasm "$work/"
  fi
  seeds=$(find "$work" -type f | wc -l)
  dict=
  if [ -f "$root/fuzz/$name.dict" ]; then
    dict=-dict=$root/fuzz/$name.dict
  fi
  log=$dir/$name.log
  echo "$name: fuzzing for ${secs}s from $seeds seed(s)..."
  # shellcheck disable=SC2086  # $dict is empty or one word
  if "$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
       $dict -artifact_prefix="$dir/$name-" "$work" >"$log" 2>&1; then
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
