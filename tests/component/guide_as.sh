#!/usr/bin/env bash
# tests/component/guide_as.sh GUEST_MD TROUPE_SOURCE_DIR TROUPE_BINARY
#
# Follows the AssemblyScript section of docs/GUEST.md literally: its ```sh blocks, in
# order, run as one bash script in an empty temporary folder (with TROUPE set to the
# source tree and the built `troupe` first on PATH, as the section asks the reader to
# have), and what they print on stdout must be its ```text blocks, in order. The two
# lines not run as written are the set-up's installations, since a test neither
# installs nor uses the network: `apt-get install PKGS` becomes a check that node and
# npm are there, and `(cd .../sdk/assemblyscript && npm ci)` a check that the SDK's
# compiler is installed (scripts/deps.sh test does both). npm runs --offline as the
# document says, so a step needing the registry fails.
set -euo pipefail
doc=$1 src=$2 troupe=$3
[ -x "$troupe" ] || { echo "FAIL: no troupe command at $troupe"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk '/^## AssemblyScript/ { on = 1; next } on && /^## / { exit } on' "$doc" >"$work/section.md"
awk -v cmds="$work/cmds.sh" -v want="$work/expected.txt" '
  /^```sh$/ { mode = "sh"; n++; next }
  /^```text$/ { mode = "text"; next }
  /^```/ { mode = ""; next }
  mode == "sh" { print > cmds }
  mode == "text" { print > want }' "$work/section.md"
[ -s "$work/cmds.sh" ] && [ -s "$work/expected.txt" ] ||
  { echo "FAIL: no sh/text blocks under '## AssemblyScript' in $doc"; exit 1; }
grep -qE '^apt-get install' "$work/cmds.sh" && grep -qE 'npm ci\)$' "$work/cmds.sh" ||
  { echo "FAIL: the set-up lines of the section changed: update this script"; exit 1; }
sed -i -E \
  -e 's/^apt-get install( -y)? .*$/command -v node >\/dev\/null \&\& command -v npm >\/dev\/null/' \
  -e 's/^\(cd "([^"]*)" \&\& npm ci\)$/test -f "\1\/node_modules\/assemblyscript\/package.json"/' \
  "$work/cmds.sh"

mkdir "$work/empty"
export TROUPE=$src PATH="$(dirname "$troupe"):$PATH"
# npm's cache and logs in the throwaway folder: the user's are not touched, and an empty
# cache proves nothing comes from an earlier download.
export npm_config_cache="$work/npm-cache"
if ! (cd "$work/empty" && bash -e "$work/cmds.sh") >"$work/out.txt" 2>"$work/err.txt"; then
  echo "FAIL: the commands of docs/GUEST.md (AssemblyScript) failed:"
  cat "$work/cmds.sh" "$work/out.txt" "$work/err.txt"
  exit 1
fi
if ! diff -u "$work/expected.txt" "$work/out.txt"; then
  echo "FAIL: docs/GUEST.md (AssemblyScript): the output differs from its text blocks (- doc, + run)"
  cat "$work/err.txt"
  exit 1
fi
echo "ok: docs/GUEST.md (AssemblyScript) followed literally: $(grep -c . "$work/cmds.sh") lines of commands"
