#!/bin/sh
# scripts/run-demo.sh [BUILD]: the `make run` demo. Runs troupe-demo (examples/demo/) from
# the build folder BUILD (default build) on its embedded defaults: the example
# components the build made (BUILD/components) as one application under one host --
# invocations, messages between components, publish/subscribe, a crash and its restart,
# a spinner preempted, a capability refused, Rust talking to C, a health restart, an
# orderly stop -- each step printed with what was done, expected and seen; the audit
# events in BUILD/demo-audit.jsonl. Exits non-zero if any step did not go as expected.
set -eu
build=${1:-build}
demo=$build/examples/demo/troupe-demo
if [ ! -x "$demo" ]; then
  echo "run-demo: $demo is not built (make build)" >&2
  exit 2
fi
exec "$demo"
