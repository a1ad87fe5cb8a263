#!/usr/bin/env bash
# Runs one benchmark suite: `make bench-<suite>` calls scripts/bench.sh BUILD_DIR SUITE
# after scripts/deps.sh bench. Each suite lives in bench/<suite>/ with an executable
# bench/<suite>/run BUILD_DIR that prints its table and writes BUILD_DIR/bench/<suite>.json.
set -euo pipefail
build=${1:?usage: scripts/bench.sh BUILD_DIR SUITE}
suite=${2:?usage: scripts/bench.sh BUILD_DIR SUITE}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$suite" in
  */* | .* | "") echo "bench: bad suite name '$suite'" >&2; exit 2 ;;
esac
if [ -x "$root/bench/$suite/run" ]; then
  exec "$root/bench/$suite/run" "$build"
fi
if [ "$suite" = actor ]; then
  echo "bench-actor: not implemented yet" >&2
  exit 1
fi
echo "bench: unknown suite '$suite' (no bench/$suite/run)" >&2
exit 2
