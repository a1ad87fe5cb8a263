#!/usr/bin/env bash
# tests/component/guide.sh SECTION GUEST_MD TROUPE_SOURCE_DIR TROUPE_BINARY
#
# Follows one language's section of docs/GUEST.md (`## SECTION`: C, Rust,
# AssemblyScript) literally: its ```sh blocks, in order, run as one bash script in an
# empty temporary folder (with TROUPE set to the source tree and the built `troupe`
# first on PATH, as the sections ask the reader to have), and what they print on stdout
# must be its ```text blocks, in order. Not run as written, since a test neither
# installs nor uses the network, are the set-up's installations: `apt-get install PKGS`
# becomes a check that each PKG is installed (as a Debian package, or as a command: npm
# may come with a node from elsewhere), and `(cd "DIR" && npm ci)` a check that DIR's
# node_modules is there (scripts/deps.sh test does both). Cargo and npm run --offline as
# the sections say, so a step needing a registry fails; npm's cache is a fresh folder,
# so nothing comes from an earlier download.
set -euo pipefail
section=$1 doc=$2 src=$3 troupe=$4
[ -x "$troupe" ] || { echo "FAIL: no troupe command at $troupe"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v s="## $section" '$0 == s { on = 1; next } on && /^## / { exit } on' "$doc" \
  >"$work/section.md"
awk -v cmds="$work/cmds.sh" -v want="$work/expected.txt" '
  /^```sh$/ { mode = "sh"; n++; next }
  /^```text$/ { mode = "text"; next }
  /^```/ { mode = ""; next }
  mode == "sh" { print > cmds }
  mode == "text" { print > want }' "$work/section.md"
[ -s "$work/cmds.sh" ] && [ -s "$work/expected.txt" ] ||
  { echo "FAIL: no sh/text blocks under '## $section' in $doc"; exit 1; }
sed -i -E \
  -e 's/^apt-get install( -y)? (.*)$/for p in \2; do dpkg-query -W "$p" >\/dev\/null 2>\&1 || command -v "$p" >\/dev\/null; done/' \
  -e 's/^\(cd "([^"]*)" \&\& npm ci\)$/test -d "\1\/node_modules"/' \
  "$work/cmds.sh"

mkdir "$work/empty"
unset CARGO_TARGET_DIR RUSTFLAGS RUSTC
export TROUPE=$src PATH="$(dirname "$troupe"):$PATH" npm_config_cache="$work/npm-cache"
if ! (cd "$work/empty" && bash -e "$work/cmds.sh") >"$work/out.txt" 2>"$work/err.txt"; then
  echo "FAIL: the commands of docs/GUEST.md ($section) failed:"
  cat "$work/cmds.sh" "$work/out.txt" "$work/err.txt"
  exit 1
fi
if ! diff -u "$work/expected.txt" "$work/out.txt"; then
  echo "FAIL: docs/GUEST.md ($section): the output differs from its text blocks (- doc, + run)"
  cat "$work/err.txt"
  exit 1
fi
echo "ok: docs/GUEST.md ($section) followed literally: $(grep -c . "$work/cmds.sh") lines of commands"
