#!/usr/bin/env bash
# scripts/bench-ab.sh SUITE OLD_BUILD NEW_BUILD [ROUNDS]: one benchmark suite measured for
# two builds in the same session, the runs alternating (old, new, old, new, ...) so that
# the machine's drift falls on both alike. `make bench-ab SUITE=engine BASE=DIR` calls it
# with BASE as the old build and this tree's build as the new one.
#
# Each build is run by its own tree's bench/<suite>/run (so an old build is measured with
# the harness it was written for); every run's BUILD/bench/<suite>.json is kept in
# build/bench/ab-<suite>/. The table prints, per row, the median over the rounds of
# troupe's figure for each build, the change, and the median of the row's reference
# figure (native, node or Erlang) in the old and new runs: when the reference moved too,
# the machine did. Writes build/bench/ab-<suite>.json. Needs jq (scripts/deps.sh bench).
set -euo pipefail
suite=${1:?usage: scripts/bench-ab.sh SUITE OLD_BUILD NEW_BUILD [ROUNDS]}
old=$(cd "${2:?old build dir}" && pwd)
new=$(cd "${3:?new build dir}" && pwd)
rounds=${4:-2}
case "$suite" in */* | .* | "") echo "bench-ab: bad suite name '$suite'" >&2; exit 2 ;; esac

src_of() { # the source tree a build directory was configured from
  sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt"
}
out="$new/bench/ab-$suite"
mkdir -p "$out"
rm -f "$out"/*.json
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    b=${!side}
    root=$(src_of "$b")
    [ -x "$root/bench/$suite/run" ] || { echo "bench-ab: $root has no bench/$suite/run" >&2; exit 2; }
    echo "bench-ab: round $r/$rounds, $side ($b)" >&2
    "$root/bench/$suite/run" "$b" >"$out/$side-$r.log" 2>&1 ||
      echo "bench-ab: the $side run of round $r failed (see $out/$side-$r.log)" >&2
    cp "$b/bench/$suite.json" "$out/$side-$r.json"
  done
done

# Medians per row and side: {name, unit, old, new, old_ref, new_ref, ref_name}.
jq -s --argjson rounds "$rounds" '
  def median: map(select(. != null)) | sort | if length == 0 then null
    else (if length % 2 == 1 then .[length / 2 | floor]
          else (.[length / 2 - 1] + .[length / 2]) / 2 end) end;
  (.[0:$rounds] | flatten) as $o | (.[$rounds:] | flatten) as $n |
  [$o[].name, $n[].name] | unique | map(. as $k |
    ($o | map(select(.name == $k))) as $ro | ($n | map(select(.name == $k))) as $rn |
    {name: $k, unit: (($ro + $rn)[0].unit), reference_name: (($ro + $rn)[0].reference_name),
     old: ($ro | map(.troupe) | median), new: ($rn | map(.troupe) | median),
     old_ref: ($ro | map(.reference) | median), new_ref: ($rn | map(.reference) | median)})
' $(for r in $(seq 1 "$rounds"); do echo "$out/old-$r.json"; done) \
  $(for r in $(seq 1 "$rounds"); do echo "$out/new-$r.json"; done) >"$new/bench/ab-$suite.json"

printf '%-30s %-6s %12s %12s %8s   %s\n' row unit old new change "reference (old -> new)"
jq -r '.[] | [.name, .unit, (.old // "-"), (.new // "-"),
  (if .old and .new and .old != 0 then ((.new / .old - 1) * 100 * 10 | round / 10 | tostring) + "%"
   else "-" end),
  ((.reference_name // "") + " " + ((.old_ref // "-") | tostring) + " -> " + ((.new_ref // "-") | tostring))]
  | @tsv' "$new/bench/ab-$suite.json" |
  while IFS=$'\t' read -r n u o w c ref; do
    printf '%-30s %-6s %12s %12s %8s   %s\n' "$n" "$u" "$o" "$w" "$c" "$ref"
  done
echo "old: $old ($(git -C "$(src_of "$old")" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "new: $new ($(git -C "$(src_of "$new")" rev-parse --short HEAD 2>/dev/null || echo '?')$(
  git -C "$(src_of "$new")" diff --quiet HEAD 2>/dev/null || echo ', with uncommitted changes'))"
echo "medians of $rounds alternating runs each; change = new/old - 1 (for times lower is better,"
echo "for rates higher); per-run tables and JSON in $out/"
