#!/usr/bin/env bash
# scripts/check-exports.sh LIB.so: the shared library exports nothing but troupe_ symbols
# (internal externs carry layer prefixes such as trA_ and are hidden by the build's
# default visibility; only TROUPE_API functions are exported). Run by ctest
# (arch_exports); exit 0 when clean, 1 listing the offenders, 2 when LIB cannot be read.
set -euo pipefail
lib=${1:?usage: scripts/check-exports.sh LIB.so}
syms=$(nm -D --defined-only "$lib" | awk '{print $3}') || { echo "cannot read $lib" >&2; exit 2; }
[ -n "$syms" ] || { echo "no exported symbols read from $lib" >&2; exit 2; }
bad=$(grep -v '^troupe_' <<<"$syms" || true)
if [ -n "$bad" ]; then
  echo "$lib exports symbols without the troupe_ prefix:"
  echo "$bad"
  exit 1
fi
echo "$lib: $(wc -l <<<"$syms") exported symbols, all troupe_*"
