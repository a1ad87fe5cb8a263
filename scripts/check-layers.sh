#!/usr/bin/env bash
# scripts/check-layers.sh [ROOT]: checks every #include in src/, tests/ and include/troupe/
# against the layer rules of docs/ARCHITECTURE.md, reading the rules from the layer
# table there, so the document and the check cannot drift apart. Run by ctest
# (arch_layers) in `make test`; exit 0 when clean, 1 with one line per violation.
#
# The table's columns used here: folder (src/<L>/), `may use` (the lower layers whose
# public headers, and exported internal headers, L may include; base is always allowed),
# `public headers` (the include/troupe/ headers that L owns) and `exports` (internal
# headers L offers to the layers that use it). A file of layer L (src/L/, tests/L/, or a
# public header L owns) may include:
#   - its own layer's headers ("L/x.h", or a bare "x.h" next to the file);
#   - "base/base.h";
#   - "X/h.h" when X is in L's `may use` and X exports h.h;
#   - a test helper "X/h.h" under tests/X/ when X is L or in L's `may use` (tests only);
#   - "troupe/H.h" when H is owned by L, by base, or by a layer in L's `may use`.
# The command (src/cli/) may include any public header and nothing internal. Relative
# paths ("../x.h") are refused everywhere: they would walk around the include paths that
# the build sets per layer (cmake/TroupeLayer.cmake). bench/ and fuzz/ are harnesses
# outside the layers and are not checked.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc="$root/docs/ARCHITECTURE.md"
[ -f "$doc" ] || { echo "check-layers: no $doc" >&2; exit 2; }

# The layer table as lines "folder|uses|public|exports" (cells without backticks).
table=$(awk -F'|' '
  function trim(s) { gsub(/`/, "", s); gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  /^\| *layer *\|/ {
    for (i = 2; i < NF; i++) col[trim($i)] = i
    if (!("folder" in col) || !("may use" in col) || !("public headers" in col) ||
        !("exports" in col)) { print "BADHEADER"; exit }
    intable = 1; next
  }
  intable && /^\|[ -|]*$/ { next }
  intable && /^\|/ {
    f = trim($(col["folder"])); sub(/^src\//, "", f); sub(/\/$/, "", f)
    printf "%s|%s|%s|%s\n", f, trim($(col["may use"])), trim($(col["public headers"])),
           trim($(col["exports"]))
    next
  }
  intable { exit }
' "$doc")
if [ -z "$table" ] || [ "$table" = BADHEADER ]; then
  echo "check-layers: $doc has no layer table with columns folder, may use, public headers, exports" >&2
  exit 2
fi

declare -A uses owner exports is_layer
while IFS='|' read -r folder use pub exp; do
  is_layer[$folder]=1
  uses[$folder]=" $(echo "$use" | tr ',' ' ' | tr -s ' ' | sed 's/—//g') "
  exports[$folder]=" $(echo "$exp" | tr ',' ' ' | tr -s ' ' | sed 's/—//g') "
  for h in $(echo "$pub" | tr ',' ' ' | sed 's/—//g'); do owner[$h]=$folder; done
done <<<"$table"

fail=0
complain() { echo "$1: includes \"$2\": $3"; fail=1; }

# check_file FILE LAYER KIND(src|test|public|cli)
check_file() {
  local file=$1 layer=$2 kind=$3 rel=${1#"$root"/} inc dir x h
  dir=$(dirname "$file")
  while IFS= read -r inc; do
    if [ "${inc:0:1}" = "<" ]; then # system headers pass; <troupe/...> is checked
      inc=${inc:1}
      [[ $inc == troupe/* ]] || continue
    else
      inc=${inc:1}
    fi
    case "$inc" in
      */../* | ../* | ./*) complain "$rel" "$inc" "relative paths walk around the layer include paths"; continue ;;
    esac
    if [ "${inc%%/*}" = "$inc" ]; then # a bare name: only a file next to this one
      [ -f "$dir/$inc" ] || [ "$kind" = public ] ||
        complain "$rel" "$inc" "a bare name must be a header in the same folder"
      continue
    fi
    x=${inc%%/*} h=${inc#*/}
    if [ "$x" = troupe ]; then
      local o=${owner[$h]:-}
      [ -n "$o" ] || { complain "$rel" "$inc" "no layer owns troupe/$h in the table"; continue; }
      [ "$kind" = cli ] && continue
      [ "$o" = "$layer" ] || [ "$o" = base ] || [[ ${uses[$layer]} == *" $o "* ]] ||
        complain "$rel" "$inc" "layer '$layer' may not use layer '$o' (docs/ARCHITECTURE.md)"
      continue
    fi
    if [ "$kind" = cli ]; then
      complain "$rel" "$inc" "the command uses only the public headers (include/troupe/)"
      continue
    fi
    if [ "$kind" = test ] && [ -f "$root/tests/$inc" ] && [ ! -f "$root/src/$inc" ]; then
      [ "$x" = "$layer" ] || [[ ${uses[$layer]} == *" $x "* ]] ||
        complain "$rel" "$inc" "test helpers of layer '$x' are not for layer '$layer'"
      continue
    fi
    [ -n "${is_layer[$x]:-}" ] || { complain "$rel" "$inc" "'$x' is not a layer of the table"; continue; }
    [ -f "$root/src/$inc" ] || { complain "$rel" "$inc" "no such header src/$inc"; continue; }
    [ "$x" = "$layer" ] || [ "$x" = base ] && continue
    if [[ ${uses[$layer]} != *" $x "* ]]; then
      complain "$rel" "$inc" "layer '$layer' may not use layer '$x' (docs/ARCHITECTURE.md)"
    elif [[ ${exports[$x]} != *" $h "* ]]; then
      complain "$rel" "$inc" "private to layer '$x' (it exports:${exports[$x]% })"
    fi
  done < <(sed -n -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*(["<])([^">]+)[">].*/\1\2/p' "$file")
}

shopt -s nullglob
for d in "$root"/src/*/; do
  l=$(basename "$d")
  if [ "$l" = cli ]; then kind=cli
  elif [ -n "${is_layer[$l]:-}" ]; then kind=src
  else echo "src/$l/: a folder that is not a layer of the table in docs/ARCHITECTURE.md"; fail=1; continue
  fi
  for f in "$d"*.c "$d"*.h; do check_file "$f" "$l" "$kind"; done
done
for d in "$root"/tests/*/; do
  l=$(basename "$d")
  [ -n "${is_layer[$l]:-}" ] || continue # cross-layer suites (arch, install) use public headers
  # guests/ hold WebAssembly components (built for wasm32 against sdk/c), not host code
  while IFS= read -r f; do check_file "$f" "$l" test; done < <(find "$d" -name '*.[ch]' -not -path '*/guests/*')
done
for f in "$root"/include/troupe/*.h; do
  h=$(basename "$f")
  o=${owner[$h]:-}
  [ -n "$o" ] || { echo "include/troupe/$h: no layer owns it in docs/ARCHITECTURE.md"; fail=1; continue; }
  if [ "$o" = cli ]; then check_file "$f" cli cli; else check_file "$f" "$o" public; fi
done

if [ $fail -eq 0 ]; then
  echo "check-layers: every include follows the layer rules of docs/ARCHITECTURE.md"
fi
exit $fail
