#!/bin/sh
# scripts/run-diff.sh BUILD_DIR [COUNT] [FIRST_SEED]: the differential test of the engine
# against node/V8 (tests/engine/diff/) over COUNT generated modules (default 2000) from
# FIRST_SEED (default 1000, past the 50 seeds ctest uses). BUILD_DIR is a configured
# build with tests (diff_run is built if missing). Mismatching modules and both
# transcripts stay in BUILD_DIR/diff-work/; exits non-zero on any mismatch. With
# DIFF_SLICE=N in the environment, Troupe runs every call in fuel slices of N with
# suspending host calls (diff.js --slice).
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [COUNT] [FIRST_SEED]" >&2
  exit 2
fi
build=$1
count=${2:-2000}
first=${3:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
cmake --build "$build" --target diff_run -j2 >/dev/null
work=$build/diff-work
mkdir -p "$work"
# In chunks, so the generated modules never pile up on disk.
slice=
if [ -n "${DIFF_SLICE:-}" ]; then
  slice="--slice $DIFF_SLICE"
fi
status=0
seed=$first
while [ "$seed" -lt $((first + count)) ]; do
  n=$((first + count - seed))
  [ "$n" -gt 250 ] && n=250
  # shellcheck disable=SC2086  # $slice is empty or two words
  node "$root/tests/engine/diff/diff.js" --driver "$build/tests/engine/diff_run" $slice \
    --gen "$root/scripts/gen-ttf-corpus.sh" --work "$work" --from "$seed" --count "$n" || status=1
  seed=$((seed + n))
done
exit $status
