#!/bin/sh
# scripts/codec-tour.sh path/to/troupe: a tour of the codec and the engine through the
# `troupe` command (it was `make run` before the components existed; `make run` is now
# the components demo, scripts/run-demo.sh). The codec tool on a sample message: JSON
# typed by a person -> prefixed JSON -> CBOR for a component -> decoded and shown -> back
# to JSON, printing each step with the hex of the prefixed bytes; then the engine: a C
# program built for WASI run in the sandbox, and a runaway loop stopped by fuel. Exits
# non-zero on any failure.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 path/to/troupe" >&2
  exit 2
fi
troupe=$1
root=$(cd "$(dirname "$0")/.." && pwd)
sample=$root/examples/codec/sample.json
work=$(mktemp -d "${TMPDIR:-/tmp}/troupe-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

hexdump_of() { od -An -tx1 -v "$1" | sed 's/^ /    /'; }
step() { printf '\n== %s\n' "$*"; }

step "1. the sample, as a person wrote it ($sample)"
sed 's/^/    /' "$sample"

step "2. troupe codec encode --codec json   (prefix 80 04 = varint 0x0200, JSON)"
"$troupe" codec encode --codec json <"$sample" >"$work/msg.json"
echo "    $(wc -c <"$work/msg.json") bytes:"
hexdump_of "$work/msg.json"

step "3. troupe codec transcode --to cbor   (prefix 51 = CBOR)"
"$troupe" codec transcode --to cbor <"$work/msg.json" >"$work/msg.cbor"
echo "    $(wc -c <"$work/msg.cbor") bytes:"
hexdump_of "$work/msg.cbor"

step "4. troupe codec decode --pretty   (what the component received)"
"$troupe" codec decode --pretty <"$work/msg.cbor" | sed 's/^/    /'

step "5. troupe codec transcode --to json   (and back)"
"$troupe" codec transcode --to json <"$work/msg.cbor" >"$work/back.json"
echo "    $(wc -c <"$work/back.json") bytes:"
hexdump_of "$work/back.json"
"$troupe" codec decode <"$work/back.json" | sed 's/^/    /'

step "6. the round trip is stable: JSON -> CBOR again gives the same bytes"
"$troupe" codec transcode --to cbor <"$work/back.json" >"$work/again.cbor"
if cmp -s "$work/msg.cbor" "$work/again.cbor"; then
  echo "    identical ($(wc -c <"$work/again.cbor") bytes)"
else
  echo "    MISMATCH" >&2
  exit 1
fi

step "7. what a bad message gets: a one-line error and exit status 1"
printf '\121\202\001' >"$work/bad.cbor" # CBOR array of 2 with only one item
if "$troupe" codec decode <"$work/bad.cbor" 2>"$work/err"; then
  echo "    a truncated CBOR message was accepted" >&2
  exit 1
fi
sed 's/^/    /' "$work/err"

# The engine: an ordinary C program built for WASI, run in Troupe's sandboxed engine.
step "8. clang --target=wasm32-wasi examples/wasm/hello.c; troupe wasm run hello.wasm Ada Grace"
here=$(cd "$(dirname "$0")/.." && pwd)
clang --target=wasm32-wasi -O2 -o "$work/hello.wasm" "$here/examples/wasm/hello.c"
"$troupe" wasm validate "$work/hello.wasm" | sed 's/^/    validate: /'
"$troupe" wasm run --env NAME=world "$work/hello.wasm" Ada Grace | sed 's/^/    /'

step "9. a trap is a value, not a crash: fuel runs out in an endless loop"
# (module (func (export "spin") (loop (br 0)))) as bytes, so the demo needs no wat2wasm
printf '\0asm\1\0\0\0\1\4\1\140\0\0\3\2\1\0\7\10\1\4spin\0\0\12\11\1\7\0\3\100\14\0\13\13' >"$work/spin.wasm"
if "$troupe" wasm run --fuel 1000000 --invoke spin "$work/spin.wasm" 2>"$work/err"; then
  echo "    an endless loop finished" >&2
  exit 1
fi
sed 's/^/    /' "$work/err"
printf '\ndemo: ok\n'
