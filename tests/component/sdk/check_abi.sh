#!/usr/bin/env bash
# tests/component/sdk/check_abi.sh ABI_MD WASM_OBJDUMP TROUPE [--all] MODULE=EXPORTS...
#
# Checks built guest modules against the contract itself: the tables of docs/ABI.md are
# read here (imports of module `troupe` and their types; the exports table), so neither
# the SDK (sdk/c/troupe_guest.h), the examples nor the Rust example can drift from the
# document without this test failing. For each MODULE (a .wasm file):
#   - every `troupe` import is one the document lists, with exactly its type;
#   - its function exports are exactly EXPORTS (comma-separated), each with the
#     document's type (`handle-message`, `_initialize`, `_health`, `_cleanup`, ...), an
#     invocable [i32] -> [i32] for any other name; `memory` is exported as a memory;
#   - `troupe wasm validate` accepts it.
# With --all before a module, its `troupe` imports must also be every import the
# document lists (tests/component/sdk/all_imports.c calls each SDK declaration once).
set -euo pipefail
abi=$1 objdump=$2 troupe=$3
shift 3

# "name|(i32, i64) -> i32" for each row of the table under a heading matching $2.
# Cells: `name` | `[i32 a, i64 b] -> [i32]`; *any other* becomes INVOCABLE.
table() {
  awk -v head="$2" '
    function sig(cell,   parts, p, r, n, i, out, t) {
      if (cell !~ /->/) return ""
      split(cell, parts, "->"); p = parts[1]; r = parts[2]
      out = "("; n = 0
      while (match(p, /(i32|i64|f32|f64)/)) {
        out = out (n++ ? ", " : "") substr(p, RSTART, RLENGTH); p = substr(p, RSTART + RLENGTH)
      }
      out = out ") -> "
      if (match(r, /(i32|i64|f32|f64)/)) out = out substr(r, RSTART, RLENGTH); else out = out "nil"
      return out
    }
    $0 ~ "^## " head { on = 1; next }
    on && /^## / { exit }
    on && /^\| *(`|\*any other\*)/ {
      split($0, c, "|"); name = c[2]; gsub(/[` ]/, "", name)
      if (name == "*anyother*") name = "INVOCABLE"
      s = sig(c[3]); if (s == "" && c[3] ~ /memory/) s = "memory"
      print name "|" s
    }' "$1"
}

command -v "$objdump" >/dev/null ||
  { echo "FAIL: no wasm-objdump ('$objdump'): install wabt (scripts/deps.sh)"; exit 1; }
[ -x "$troupe" ] || { echo "FAIL: no troupe command at $troupe"; exit 1; }
declare -A imp exp
while IFS='|' read -r n s; do imp[$n]=$s; done < <(table "$abi" "Imports")
while IFS='|' read -r n s; do exp[$n]=$s; done < <(table "$abi" "Exports")
fail=0
bad() { echo "FAIL: $*"; fail=1; }
[ ${#imp[@]} -ge 20 ] || bad "read only ${#imp[@]} imports from $abi (table format changed?)"
[ -n "${exp[handle-message]:-}" ] && [ -n "${exp[INVOCABLE]:-}" ] ||
  bad "no handle-message / invocable rows in the exports table of $abi"
[ $fail -eq 0 ] || exit 1

all=0
for arg in "$@"; do
  if [ "$arg" = --all ]; then all=1; continue; fi
  wasm=${arg%%=*} want=${arg#*=}
  name=$(basename "$wasm")
  [ -f "$wasm" ] || { bad "$name: not built ($wasm)"; continue; }
  dump=$("$objdump" -x "$wasm")
  # Lines "I|module.field|type", "E|name|type" (functions) and "M|name" (memories).
  facts=$(awk '
    /^[A-Z][A-Za-z]*\[[0-9]+\]:$/ { sec = $0; sub(/\[.*/, "", sec); next }
    /^[A-Z][A-Za-z]*:$/ { sec = ""; next }
    sec == "Type" && match($0, /type\[[0-9]+\] /) {
      i = substr($0, RSTART + 5, RLENGTH - 7); t[i] = substr($0, RSTART + RLENGTH)
    }
    sec == "Import" && / - func\[/ {
      match($0, /func\[[0-9]+\]/); f = substr($0, RSTART + 5, RLENGTH - 6)
      match($0, /sig=[0-9]+/); s = substr($0, RSTART + 4, RLENGTH - 4)
      n = $0; sub(/.* <- /, "", n); fsig[f] = s; print "I|" n "|" t[s]
    }
    sec == "Function" && / - func\[/ {
      match($0, /func\[[0-9]+\]/); f = substr($0, RSTART + 5, RLENGTH - 6)
      match($0, /sig=[0-9]+/); fsig[f] = substr($0, RSTART + 4, RLENGTH - 4)
    }
    sec == "Export" {
      n = $0; sub(/.*-> "/, "", n); sub(/"$/, "", n)
      if ($0 ~ / - func\[/) {
        match($0, /func\[[0-9]+\]/); f = substr($0, RSTART + 5, RLENGTH - 6)
        print "E|" n "|" t[fsig[f]]
      } else if ($0 ~ / - memory\[/) print "M|" n
    }' <<<"$dump")

  declare -A seen=()
  while IFS='|' read -r k n s; do
    case "$k" in
      I)
        [[ $n == troupe.* ]] || continue
        f=${n#troupe.}
        seen[$f]=1
        if [ -z "${imp[$f]:-}" ]; then
          bad "$name: imports troupe.$f, which docs/ABI.md does not list"
        elif [ "${imp[$f]}" != "$s" ]; then
          bad "$name: troupe.$f is $s, docs/ABI.md says ${imp[$f]}"
        fi ;;
    esac
  done <<<"$facts"
  if [ $all -eq 1 ]; then
    for f in "${!imp[@]}"; do
      [ -n "${seen[$f]:-}" ] ||
        bad "$name: the SDK does not import troupe.$f (docs/ABI.md lists it)"
    done
    all=0
  fi
  unset seen

  grep -qx 'M|memory' <<<"$facts" || bad "$name: no memory exported as \"memory\""
  got=$(awk -F'|' '$1 == "E" { print $2 }' <<<"$facts" | sort | paste -sd, -)
  wanted=$(tr ',' '\n' <<<"$want" | sort | paste -sd, -)
  [ "$got" = "$wanted" ] || bad "$name: exports functions [$got], expected [$wanted]"
  while IFS='|' read -r k n s; do
    [ "$k" = E ] || continue
    t=${exp[$n]:-${exp[INVOCABLE]}}
    if [[ $n == _* ]] && [ -z "${exp[$n]:-}" ]; then
      bad "$name: exports $n, which starts with '_' but is no ABI export"
      continue
    fi
    [ "$s" = "$t" ] || bad "$name: export $n is $s, docs/ABI.md says $t"
  done <<<"$facts"

  v=$("$troupe" wasm validate "$wasm" 2>&1) || bad "$name: troupe wasm validate: $v"
  used=$(awk -F'|' '$1 == "I" && $2 ~ /^troupe\./ { sub(/troupe\./, "", $2); print $2 }' \
         <<<"$facts" | paste -sd' ' -)
  [ $fail -eq 0 ] && echo "ok: $name (troupe imports: $used; exports: $want)"
done
exit $fail
