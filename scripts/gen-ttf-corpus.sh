#!/bin/sh
# scripts/gen-ttf-corpus.sh OUT_DIR FIRST_SEED COUNT: write COUNT valid WebAssembly
# modules OUT_DIR/ttf-<seed>.wasm for seeds FIRST_SEED.. with binaryen's translate-to-fuzz
# (wasm-opt -ttf), which turns arbitrary bytes into a valid module. The input bytes come
# from a fixed xorshift generator per seed, so seed N is the same module on every machine
# with the same binaryen. Features: the ones Troupe's engine runs (MVP + sign-ext +
# sat-f2i + bulk memory + reference types + multi-value + mutable globals); no SIMD,
# threads, exceptions, GC, tail calls, memory64 -- and no reference types either: with
# them binaryen 108 emits pre-standard code (funcref as a subtype of externref, typed
# function references) that V8 and the spec reject. Odd seeds are optimized with -O2.
# Used by `make fuzz` (seeds of the wasm targets) and by the differential test against
# node (tests/engine/diff/).
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 OUT_DIR FIRST_SEED COUNT" >&2
  exit 2
fi
out=$1 first=$2 count=$3
command -v wasm-opt >/dev/null || { echo "$0: wasm-opt (binaryen) not found" >&2; exit 1; }
mkdir -p "$out"
raw=$(mktemp -d "${TMPDIR:-/tmp}/troupe-ttf.XXXXXX")
trap 'rm -rf "$raw"' EXIT

# Input sizes vary per seed (1-24 KiB): bigger inputs give more functions and exports.
perl -e '
  my ($dir, $first, $count) = @ARGV;
  for my $seed ($first .. $first + $count - 1) {
    my $x = (($seed + 1) * 2654435761) & 0xffffffff;
    $x = 1 if $x == 0;
    my $next = sub {
      $x ^= ($x << 13) & 0xffffffff; $x ^= $x >> 17; $x ^= ($x << 5) & 0xffffffff; $x;
    };
    $next->() for 1 .. 8;
    my $len = 256 * (4 + $next->() % 93);
    open(my $f, ">", "$dir/$seed.bin") or die "$dir/$seed.bin: $!";
    binmode $f;
    print $f pack("V*", map { $next->() } 1 .. $len / 4);
    close $f;
  }' "$raw" "$first" "$count"

features="--mvp-features --enable-sign-ext --enable-nontrapping-float-to-int
  --enable-bulk-memory --enable-multivalue --enable-mutable-globals"
made=0
seed=$first
while [ "$seed" -lt $((first + count)) ]; do
  # Odd seeds are also optimized (-O2): other code shapes (select, br_table, fewer
  # locals, folded constants) for the same kind of program.
  opt=
  if [ $((seed % 2)) -eq 1 ]; then
    opt=-O2
  fi
  # shellcheck disable=SC2086  # word splitting of $features and $opt is intended
  if wasm-opt -q -ttf $features $opt "$raw/$seed.bin" -o "$out/ttf-$seed.wasm" 2>/dev/null; then
    made=$((made + 1))
  else
    echo "$0: wasm-opt failed on seed $seed (skipped)" >&2
  fi
  seed=$((seed + 1))
done
echo "gen-ttf-corpus: $made module(s) in $out"
