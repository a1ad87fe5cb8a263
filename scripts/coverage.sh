#!/usr/bin/env bash
# Line coverage of the test suite, per layer, for `make coverage` (README.md, "Other
# targets"). Reads the gcov data a -DTROUPE_COVERAGE=ON build left after ctest ran in it,
# with one gcovr pass over src/ (the library and the CLI; tests, examples and generated
# files are not measured), and writes under BUILD/coverage/:
#   index.html (+ one page per file)  line-by-line report
#   coverage.txt                      per-file table
#   coverage.json                     gcovr's full data (gcovr --add-tracefile reads it)
#   summary.json                      per-file totals
# Prints the line coverage of each layer (src/<layer>) and of src/ as a whole, the files
# with the most uncovered lines, and exits 1 when src/ as a whole is below MIN percent.
# (gcovr's own reports name a layer's private headers by their path in BUILD/layer-views/;
# the table below counts them under src/.)
# Usage: scripts/coverage.sh BUILD MIN
set -euo pipefail
build=${1:?usage: scripts/coverage.sh BUILD MIN}
min=${2:?usage: scripts/coverage.sh BUILD MIN}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$build/coverage

if ! find "$build" -name '*.gcda' -print -quit | grep -q .; then
  echo "coverage: no .gcda files in $build (a -DTROUPE_COVERAGE=ON build, after ctest)" >&2
  exit 2
fi
rm -rf "$out"
mkdir -p "$out"
# -j2: the machine is shared; gcov on ~130 objects takes a few seconds either way.
gcovr --root "$root" --object-directory "$build" --filter "$root/src/" -j 2 \
  --json "$out/coverage.json" --json-summary-pretty --json-summary "$out/summary.json" \
  --txt "$out/coverage.txt" --html-details "$out/index.html" \
  --html-title "Troupe line coverage" >/dev/null

python3 - "$out/coverage.json" "$min" <<'PY'
import json, re, sys
data, min_pct = json.load(open(sys.argv[1])), float(sys.argv[2])
# the layers bottom up (docs/ARCHITECTURE.md), then any other folder of src/
order = ["base", "codec", "engine", "wasi", "actor", "supervisor", "broker",
         "component", "node", "cli"]
# A layer's private headers are compiled through its view, BUILD/layer-views/V/L/h.h (a
# link to src/L/h.h: cmake/TroupeLayer.cmake), so gcov names them there, once per view.
# Fold them back into src/L/h.h, a line covered when any view's copy ran it.
view = re.compile(r"(?:^|/)layer-views/[^/]+/([^/]+)/([^/]+)$")
lines = {}                                   # src/L/x -> {line: covered}
for f in data["files"]:
    m = view.search(f["file"])
    name = f"src/{m.group(1)}/{m.group(2)}" if m else f["file"]
    got = lines.setdefault(name, {})
    for ln in f["lines"]:
        if not ln["gcovr/noncode"] and not ln.get("gcovr/excluded"):
            got[ln["line_number"]] = got.get(ln["line_number"], False) or ln["count"] > 0

layers, files = {}, []
for name, got in lines.items():
    parts = name.split("/")
    layer = parts[1] if len(parts) > 2 and parts[0] == "src" else "(other)"
    c, t = sum(got.values()), len(got)
    lc, lt = layers.get(layer, (0, 0))
    layers[layer] = (lc + c, lt + t)
    files.append((t - c, name, c, t))

def pct(c, t):
    return 100.0 * c / t if t else 100.0

print(f"{'layer':<16}{'lines':>8}{'covered':>9}{'percent':>9}")
for layer in sorted(layers, key=lambda l: (order.index(l) if l in order else len(order), l)):
    c, t = layers[layer]
    print(f"{'src/' + layer:<16}{t:>8}{c:>9}{pct(c, t):>8.1f}%")
tc = sum(c for c, _ in layers.values())
tt = sum(t for _, t in layers.values())
total = pct(tc, tt)
print(f"{'src/ (all)':<16}{tt:>8}{tc:>9}{total:>8.1f}%")
print("\nmost uncovered lines:")
for miss, name, c, t in sorted(files, reverse=True)[:10]:
    print(f"  {miss:>5}  {name} ({pct(c, t):.1f}%)")
if total < min_pct:
    print(f"\ncoverage: src/ at {total:.1f}%, below the required {min_pct:g}%", file=sys.stderr)
    sys.exit(1)
print(f"\ncoverage: src/ at {total:.1f}% (required {min_pct:g}%)")
PY
echo "coverage: report in $out/index.html and $out/coverage.txt"
