#!/usr/bin/env bash
# tests/component/guide_rust.sh GUEST_MD TROUPE_SOURCE_DIR TROUPE_BINARY
#
# Follows the Rust section of docs/GUEST.md literally: its ```sh blocks, in order, run
# as one bash script in an empty temporary folder (with TROUPE set to the source tree
# and the built `troupe` first on PATH, as the section asks the reader to have), and
# what they print on stdout must be its ```text blocks, in order. The one line not run
# as written is the toolchain's installation (apt-get install PKGS): it becomes a check
# that PKGS are installed, since a test neither installs nor uses the network. Cargo
# runs --offline as the document says, so a build needing a crate from outside fails.
set -euo pipefail
doc=$1 src=$2 troupe=$3
[ -x "$troupe" ] || { echo "FAIL: no troupe command at $troupe"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk '/^## Rust/ { on = 1; next } on && /^## / { exit } on' "$doc" >"$work/section.md"
awk -v cmds="$work/cmds.sh" -v want="$work/expected.txt" '
  /^```sh$/ { mode = "sh"; n++; next }
  /^```text$/ { mode = "text"; next }
  /^```/ { mode = ""; next }
  mode == "sh" { print > cmds }
  mode == "text" { print > want }' "$work/section.md"
[ -s "$work/cmds.sh" ] && [ -s "$work/expected.txt" ] ||
  { echo "FAIL: no sh/text blocks under '## Rust' in $doc"; exit 1; }
sed -i -E 's/^apt-get install( -y)? (.*)$/dpkg-query -W \2 >\/dev\/null/' "$work/cmds.sh"

mkdir "$work/empty"
unset CARGO_TARGET_DIR RUSTFLAGS RUSTC
export TROUPE=$src PATH="$(dirname "$troupe"):$PATH"
if ! (cd "$work/empty" && bash -e "$work/cmds.sh") >"$work/out.txt" 2>"$work/err.txt"; then
  echo "FAIL: the commands of docs/GUEST.md (Rust) failed:"
  cat "$work/cmds.sh" "$work/out.txt" "$work/err.txt"
  exit 1
fi
if ! diff -u "$work/expected.txt" "$work/out.txt"; then
  echo "FAIL: docs/GUEST.md (Rust): the output differs from its text blocks (- doc, + run)"
  cat "$work/err.txt"
  exit 1
fi
echo "ok: docs/GUEST.md (Rust) followed literally: $(grep -c . "$work/cmds.sh") lines of commands"
