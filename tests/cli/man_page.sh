#!/bin/sh
# tests/cli/man_page.sh: keeps the manual page man/troupe.1 and the built command's
# --help texts in step (ctest: cli_man_page). The page is read as roff source, the
# command's help as printed by `troupe --help`, `troupe CMD --help` and, for a command
# with subcommands, `troupe CMD SUB --help`. It fails when:
#   - groff warns about the page (groff -man -Tutf8 -ww, at three line lengths);
#   - a section the page must have is missing (NAME ... SEE ALSO);
#   - .TH does not name the version `troupe --version` prints;
#   - a command or subcommand has no subsection "troupe CMD [SUB]" under COMMANDS, or
#     the page has one for a command troupe no longer has;
#   - an option (--xxx or -x) that a command's --help prints is not in its subsection,
#     or its subsection names an option its --help does not (--help and -h, which every
#     command takes, are left out). A command's subsection includes those of its
#     subcommands ("troupe store" covers "troupe store add" ...), and its --help the
#     subcommands' help texts;
#   - an option of `troupe --help` is not in SYNOPSIS (or SYNOPSIS names another);
#   - an exit code of src/cli/cli.h (TR_EXIT_*) is not an item of EXIT STATUS, or the
#     page lists one cli.h does not define;
#   - an environment variable the code reads (getenv in SRC) is not an item of
#     ENVIRONMENT, or the page lists one the code does not read.
# Subcommands are found by asking: an indented word W at the start of a line of `troupe
# CMD --help` is a subcommand when `troupe CMD W --help` succeeds and prints "usage:
# troupe CMD W". The probes run in a scratch directory with the data, runtime and
# control directories pointing into it, so none can touch the user's store or nodes.
#
# usage: man_page.sh TROUPE PAGE CLI_H SRC_DIR
set -u
LC_ALL=C # byte-wise sorting (comm) and character classes
export LC_ALL
if [ $# -ne 4 ]; then
  echo "usage: man_page.sh TROUPE PAGE CLI_H SRC_DIR" >&2
  exit 2
fi
troupe=$1 page=$2 cli_h=$3 src=$4
case $troupe in /*) ;; *) troupe=$PWD/$troupe ;; esac # the probes run elsewhere
for f in "$troupe" "$page" "$cli_h"; do
  [ -r "$f" ] || { echo "man_page: cannot read '$f'" >&2; exit 1; }
done
command -v groff >/dev/null 2>&1 || {
  echo "man_page: groff not found (Debian's groff-base: scripts/deps.sh test)" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/troupe-man.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
mkdir -m 700 "$work/ctl" "$work/run" "$work/data" "$work/home" "$work/cwd"

fails=0
fail() {
  printf 'man_page: %s\n' "$*" >&2
  fails=$((fails + 1))
}

# `troupe ARGS... --help` in the scratch environment; stdout only, status kept.
help_of() {
  (cd "$work/cwd" && env TROUPE_CONTROL_DIR="$work/ctl" XDG_RUNTIME_DIR="$work/run" \
    XDG_DATA_HOME="$work/data" HOME="$work/home" "$troupe" "$@" --help </dev/null 2>/dev/null)
}

# The option tokens of a line: --long (letters, digits, '-') and -x (one letter, not
# followed by a letter or digit, so "-inf" is no option), not glued to a word before them
# ("rest-for-one", "A-Z"). --help and -h, which every command takes, are left out.
# (awk source, shared by opts and the per-command comparison below)
OPTS_AWK='
function opts_of(s, out,   t, n) {
  n = 0
  while (match(s, /(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*/)) {
    t = substr(s, RSTART, RLENGTH)
    s = substr(s, RSTART + RLENGTH)
    sub(/^[^-]/, "", t)
    if (t ~ /^--/) sub(/-+$/, "", t)
    else if (length(t) != 2) continue
    if (t != "--help" && t != "-h") out[++n] = t
  }
  return n
}'
# The option tokens of a text on stdin, one per line, sorted and unique.
opts() {
  awk "$OPTS_AWK"' { n = opts_of($0, o); for (i = 1; i <= n; i++) print o[i] }' |
    sort -u
}

# ---- the page renders without a warning ---------------------------------------------
for ll in "" -rLL=60n -rLL=120n; do
  # shellcheck disable=SC2086  # $ll is one word or none
  groff -man -Tutf8 -ww -z $ll "$page" >"$work/groff.err" 2>&1
  if [ -s "$work/groff.err" ]; then
    fail "groff -man -Tutf8 -ww ${ll:-(default width)} warns about $page:"
    sed 's/^/    /' "$work/groff.err" >&2
  fi
done

# ---- the page as text, escapes and macro names removed: "SECTION<TAB>SUBSECTION<TAB>
# line<TAB>tag", tag "tag" on the tag line of a .TP/.TQ item
awk '
function clean(s) {
  gsub(/\\~/, " ", s)
  gsub(/\\f(\[[^]]*\]|\(..|.)/, "", s)
  gsub(/\\-/, "-", s)
  gsub(/\\\((em|en)/, " ", s)
  gsub(/\\\((dq|lq|rq)/, "\"", s)
  gsub(/\\\(aq/, "\047", s)
  gsub(/\\\(ti/, "~", s)
  gsub(/\\[&%:c]/, "", s)
  gsub(/\\e/, "\\", s)
  return s
}
/^\.\\"/ { next }
/^\.SH/ { sh = clean(substr($0, 4)); gsub(/"/, "", sh); sub(/^ +/, "", sh); ss = ""; next }
/^\.SS/ { ss = clean(substr($0, 4)); gsub(/"/, "", ss); sub(/^ +/, "", ss); next }
/^\.(TP|TQ)/ { tag = 1; next }
{
  line = $0
  if (line ~ /^[.\047]/) sub(/^[.\047][A-Za-z]+[ \t]*/, "", line)
  print sh "\t" ss "\t" clean(line) "\t" (tag ? "tag" : "")
  tag = 0
}' "$page" >"$work/page.tsv"

# The text of a section; the tags of its items.
section() { awk -F '\t' -v sh="$1" '$1 == sh { print $3 }' "$work/page.tsv"; }
tags() { awk -F '\t' -v sh="$1" '$1 == sh && $4 == "tag" { print $3 }' "$work/page.tsv"; }

for sh in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES \
          "SEE ALSO"; do
  grep -q -x "\\.SH \"*$sh\"*" "$page" || fail "$page has no section $sh"
done

version=$("$troupe" --version 2>/dev/null)
case $version in
  "troupe "?*) ;;
  *) fail "troupe --version printed '$version', not 'troupe VERSION'" ;;
esac
grep '^\.TH ' "$page" | grep -q -F "\"$version\"" ||
  fail ".TH of $page does not name \"$version\" (troupe --version): $(grep '^\.TH ' "$page")"

# ---- the commands and their subcommands ----------------------------------------------
help_of >"$work/top.txt" || fail "troupe --help failed"
commands=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
                on && /^  [a-z]/ { print $1 }' "$work/top.txt")
[ -n "$commands" ] || fail "troupe --help lists no commands"

: >"$work/units"
for c in $commands; do
  help_of "$c" >"$work/help.$c" || fail "troupe $c --help failed"
  echo "$c" >>"$work/units"
  # shellcheck disable=SC2013  # words: the first word of each line
  for w in $(awk '/^  [a-z][a-z0-9-]*( |$)/ { print $1 }' "$work/help.$c" | sort -u); do
    [ "$w" = troupe ] && continue
    help_of "$c" "$w" >"$work/help.$c.$w" || { rm -f "$work/help.$c.$w"; continue; }
    if head -n 1 "$work/help.$c.$w" | grep -q -E "^usage: troupe $c $w( |\$)"; then
      echo "$c $w" >>"$work/units"
    else
      rm -f "$work/help.$c.$w"
    fi
  done
done

awk -F '\t' '$1 == "COMMANDS" && $2 ~ /^troupe / { sub(/^troupe /, "", $2); print $2 }' \
  "$work/page.tsv" | sort -u >"$work/page_units"
sort -u "$work/units" >"$work/help_units"
comm -23 "$work/help_units" "$work/page_units" | while IFS= read -r u; do
  echo "no subsection \"troupe $u\" under COMMANDS for a command troupe has"
done >"$work/missing"
comm -13 "$work/help_units" "$work/page_units" | while IFS= read -r u; do
  echo "subsection \"troupe $u\" documents a command troupe --help does not list"
done >>"$work/missing"
while IFS= read -r line; do fail "$line"; done <"$work/missing"

# ---- every command's options, both ways -----------------------------------------------
# "UNIT<TAB>OPTION" from each help text (help.store.add is unit "store add") and from
# each subsection of COMMANDS ("troupe store add"), then one comparison per unit, a unit
# taking in its subcommands' options on both sides.
for f in "$work"/help.*; do
  u=${f#"$work"/help.}
  awk -v u="$u" "$OPTS_AWK"' BEGIN { gsub(/\./, " ", u) }
    { n = opts_of($0, o); for (i = 1; i <= n; i++) print u "\t" o[i] }' "$f"
done >"$work/help_opts"
awk -F '\t' "$OPTS_AWK"' $1 == "COMMANDS" && $2 ~ /^troupe / {
    u = substr($2, 8); n = opts_of($3, o); for (i = 1; i <= n; i++) print u "\t" o[i] }' \
  "$work/page.tsv" >"$work/page_opts"
awk -F '\t' '
  FILENAME == ARGV[1] { unit[++nu] = $0; next }
  FILENAME == ARGV[2] { help[$1 "\t" $2] = 1; next }
  { page[$1 "\t" $2] = 1 }
  function within(k, u) { return index(k, u "\t") == 1 || index(k, u " ") == 1 }
  END {
    for (i = 1; i <= nu; i++) {
      u = unit[i]
      split("", h); split("", p)
      for (k in help) if (within(k, u)) { sub(/^[^\t]*\t/, "", k); h[k] = 1 }
      for (k in page) if (within(k, u)) { sub(/^[^\t]*\t/, "", k); p[k] = 1 }
      for (o in h) {
        total++
        if (!(o in p)) print "troupe " u ": option " o " of its --help is not in its section of the page"
      }
      for (o in p)
        if (!(o in h)) print "troupe " u ": option " o " is in its section of the page but not in its --help"
    }
    print total + 0 >"/dev/stderr"
  }' "$work/help_units" "$work/help_opts" "$work/page_opts" 2>"$work/nopts" |
  sort >"$work/opt_problems"
while IFS= read -r line; do fail "$line"; done <"$work/opt_problems"
nopts=$(cat "$work/nopts")

# (the command list's summaries are not options of troupe itself: "logs ... -f follows")
awk '/^commands:/ { on = 1; next } on && /^$/ { on = 0 } !on' "$work/top.txt" | opts \
  >"$work/o.help"
section SYNOPSIS | opts >"$work/o.page"
for o in $(comm -23 "$work/o.help" "$work/o.page"); do
  fail "troupe --help: option $o is not in SYNOPSIS"
done
for o in $(comm -13 "$work/o.help" "$work/o.page"); do
  fail "SYNOPSIS: option $o is not in troupe --help"
done

# ---- exit codes and environment ----------------------------------------------------
sed -n 's/^ *TR_EXIT_[A-Z_]* *= *\([0-9][0-9]*\).*/\1/p' "$cli_h" | sort -u >"$work/codes"
[ -s "$work/codes" ] || fail "no TR_EXIT_* codes found in $cli_h"
tags "EXIT STATUS" | grep -x -E '[0-9]+' | sort -u >"$work/page_codes"
for c in $(comm -23 "$work/codes" "$work/page_codes"); do
  fail "exit code $c ($cli_h) is not an item of EXIT STATUS"
done
for c in $(comm -13 "$work/codes" "$work/page_codes"); do
  fail "EXIT STATUS lists code $c, which $cli_h does not define"
done

grep -r -h -o -E 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' "$src" | sed 's/getenv("\(.*\)")/\1/' |
  sort -u >"$work/env"
[ -s "$work/env" ] || fail "no getenv(\"...\") found under $src"
tags ENVIRONMENT | sort -u >"$work/page_env"
for v in $(comm -23 "$work/env" "$work/page_env"); do
  fail "environment variable $v (read in $src) is not an item of ENVIRONMENT"
done
for v in $(comm -13 "$work/env" "$work/page_env"); do
  fail "ENVIRONMENT lists $v, which nothing under $src reads"
done

if [ "$fails" -ne 0 ]; then
  echo "man_page: $fails problems: $page has drifted from troupe's --help, cli.h or" \
    "$src" >&2
  exit 1
fi
echo "man_page: $(wc -l <"$work/help_units") commands and subcommands, $nopts options," \
  "$(wc -l <"$work/codes") exit codes, $(wc -l <"$work/env") variables: $page agrees"
