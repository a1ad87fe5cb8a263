#!/usr/bin/env bash
# Installs the Debian packages Troupe needs, only those missing, so a second run is a
# dpkg query and nothing more. Used by `make run`, `make test`, `make coverage` and the
# benchmarks.
# Usage: scripts/deps.sh [build|test|coverage|bench]
#   test includes build; coverage and bench each include test (not each other).
# The test set also installs the AssemblyScript SDK's compiler: `npm ci` in
# sdk/assemblyscript from its committed package-lock.json, when node_modules is missing
# or was installed from another lockfile (a stamp file says which); otherwise nothing.
# OFFLINE=1 (`make test OFFLINE=1`) skips that step: the build then leaves the Rust and
# AssemblyScript SDKs out (-DTROUPE_GUEST_SDKS=OFF).
set -euo pipefail
set_name=${1:-test}

build_pkgs=(cmake make gcc clang lld pkgconf libcbor-dev libjansson-dev libxxhash-dev
            libsqlite3-dev libsodium-dev libyaml-dev libnats-dev libmicrohttpd-dev)
test_pkgs=(libcmocka-dev libclang-rt-14-dev wabt binaryen wasi-libc groff-base
           libclang-rt-14-dev-wasm32 rustc libstd-rust-dev-wasm32 cargo nats-server valgrind nodejs
           npm prometheus chromium chromium-driver)
bench_pkgs=(erlang-nox hyperfine jq python3)
coverage_pkgs=(gcovr)   # its own set: `make test` does not need it

want=("${build_pkgs[@]}")
case "$set_name" in
  build) ;;
  test)  want+=("${test_pkgs[@]}") ;;
  coverage) want+=("${test_pkgs[@]}" "${coverage_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "deps.sh: unknown set '$set_name' (build|test|coverage|bench)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # node may come from outside Debian (the machine image ships one): accept any node.
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$set_name" = build ] && exit 0
sdk="$(cd "$(dirname "$0")/.." && pwd)/sdk/assemblyscript"
if [ "${OFFLINE:-0}" = 1 ]; then
  echo "deps.sh: OFFLINE=1: no npm set-up of $sdk (the AssemblyScript SDK is left out)" >&2
  exit 0
fi
# AssemblyScript 0.28 declares node >= 20 (Debian 12's own nodejs is 18; the machine
# images here ship 20): say so plainly instead of letting asc fail later.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "deps.sh: the AssemblyScript SDK needs Node.js 20 or newer; this machine has" \
    "$(node --version 2>/dev/null || echo none). Install a newer node, or run" \
    "'make test OFFLINE=1' to leave the Rust and AssemblyScript SDKs out." >&2
  exit 1
fi
stamp="$sdk/node_modules/.troupe-package-lock.json"
if ! cmp -s "$sdk/package-lock.json" "$stamp"; then
  echo "deps.sh: npm ci in $sdk (AssemblyScript compiler, from package-lock.json)" >&2
  (cd "$sdk" && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline >/dev/null)
  cp "$sdk/package-lock.json" "$stamp"
fi
