#!/bin/sh
# scripts/run-demo.sh [BUILD]: the `make run` demo. Starts the example application --
# examples/apps/demo.yaml: the example components (BUILD/components) under a tree of
# supervisors -- with `troupe run`, as a user would, and drives it from the shell with
# the control commands (troupe ps, invoke, ask, send, info, upgrade, logs) over its
# control socket: invocations, asks across components and languages (C, Rust and
# AssemblyScript), publish/subscribe across languages, a crash of a component in each
# language and its restart, a capability refused, hot upgrades (one from Rust to
# AssemblyScript keeping the state), the log; then stops it
# with SIGTERM (an orderly stop in reverse start order) and shows its exit status.
# Each step prints the command, its output, and [ok] or [NOT AS EXPECTED]; the exit
# status is non-zero if any step did not go as expected. The node's JSON log goes to
# BUILD/demo-node.log. (The C program examples/demo/troupe-demo is the same tour over
# the C API; ctest runs it as component_demo.)
set -u
build=${1:-build}
troupe=$build/src/cli/troupe
app=examples/apps/demo.yaml
if [ ! -x "$troupe" ] || [ ! -f "$build/components/echo.wasm" ]; then
  echo "run-demo: $troupe or $build/components is not built (make build)" >&2
  exit 2
fi
for m in rust_crasher as_echo; do
  if [ ! -f "$build/components/$m.wasm" ]; then
    echo "run-demo: the demo has Rust and AssemblyScript components; $m.wasm is not built" \
      "(OFFLINE=1 leaves the guest SDKs out: make run without it)" >&2
    exit 2
  fi
done
ctl=$(mktemp -d /tmp/troupe-demo-XXXXXX)
chmod 700 "$ctl"
log=$build/demo-node.log
: > "$log"
TROUPE_CONTROL_DIR=$ctl
export TROUPE_CONTROL_DIR
failed=0

"$troupe" run "$app" --modules-dir "$build/components" --log "$log" 2> "$ctl/node.err" &
node=$!
cleanup() {
  kill -KILL "$node" 2>/dev/null
  rm -rf "$ctl"
}
trap cleanup EXIT

i=0
while ! "$troupe" ps > /dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 200 ] || ! kill -0 "$node" 2>/dev/null; then
    echo "run-demo: the node did not start:" >&2
    cat "$ctl/node.err" >&2
    exit 1
  fi
  sleep 0.05
done

# step TITLE EXPECT(grep -E pattern, empty: exit status 0 only) -- COMMAND...
step() {
  title=$1
  expect=$2
  shift 3
  printf '\n== %s\n$ troupe %s\n' "$title" "$*"
  out=$("$troupe" "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  if [ $rc -eq 0 ] && { [ -z "$expect" ] || printf '%s' "$out" | grep -Eq -- "$expect"; }; then
    echo "[ok]"
  else
    echo "[NOT AS EXPECTED] (exit $rc; wanted: ${expect:-success})"
    failed=1
  fi
}

echo "troupe run $app: $(head -n1 "$ctl/node.err")"
step "the application: 21 components (C, Rust, AssemblyScript) under 5 supervisors" "as_crasher" -- ps
step "an invocation with a JSON argument" '^"hello"$' -- invoke echo echo --args '"hello"'
step "state across calls" '"count":42' -- invoke counter add --args 42
step "an ask" '^\{"count":42\}$' -- ask counter '""'
step "C asks Rust, Rust answers" '"rust"' -- invoke asker ask --args '"rust_echo"'
step "Rust asks C (relay)" '"relayed"|"echo"|hi' -- invoke rust_echo relay --args '"hi"'
step "C asks AssemblyScript" '"from":"asker"' -- invoke asker ask --args '"as_echo"'
step "Rust asks AssemblyScript" '"from":"asker"' -- invoke rust_asker ask --args '"as_echo"'
step "publish from C: the C, Rust and AssemblyScript subscribers hear it" '' -- \
  invoke publisher publish --args '{"flash":1}'
sleep 0.2
step "subscriber-a (C) counted it" '"count":1' -- ask subscriber-a '""'
step "subscriber-b too (also subscribed by the manifest)" '"count":[12]' -- ask subscriber-b '""'
step "rust_subscriber (Rust) too" '"count":1' -- ask rust_subscriber '""'
step "as_subscriber (AssemblyScript) too" '"count":1' -- ask as_subscriber '""'
step "publish from Rust: the C and AssemblyScript subscribers hear it" '' -- \
  invoke rust_publisher publish --args '{"from":"rust"}'
sleep 0.2
step "subscriber-a (C) counted it" '"count":2' -- ask subscriber-a '""'
step "as_subscriber (AssemblyScript) too" '"count":2' -- ask as_subscriber '""'
step "a capability refused (violator may only send to counter)" '"DENIED"' -- invoke violator trespass --args '"echo"'
step "a crash: crasher traps on a message with tag 0" '' -- send crasher '"boom"' --tag 0
sleep 0.3
step "its supervisor restarted it: same id, restarts 1" 'restarts[^0-9]*1' -- info crasher
step "it answers again" 'pong' -- ask crasher '"ping"'
step "the Rust crasher traps on tag 0" '' -- send rust_crasher '"boom"' --tag 0
step "the AssemblyScript crasher too" '' -- send as_crasher '"boom"' --tag 0
sleep 0.3
step "rust_crasher restarted: restarts 1" 'restarts[^0-9]*1' -- info rust_crasher
step "as_crasher restarted: restarts 1" 'restarts[^0-9]*1' -- info as_crasher
step "both answer again" 'pong' -- ask rust_crasher '"ping"'
step "(AssemblyScript)" 'pong' -- ask as_crasher '"ping"'
step "hot upgrade: counter becomes echo's code, keeping id and mailbox" '' -- \
  upgrade counter "$build/components/echo.wasm"
step "the new code answers" '^7$' -- invoke counter echo --args 7
step "tally, a Rust counter, counts to 5" '"count":5' -- invoke tally add --args 5
step "hot upgrade across languages: tally becomes the AssemblyScript counter" '' -- \
  upgrade tally "$build/components/as_counter.wasm"
step "the count came across (Borsh i64 state)" '"count":5' -- invoke tally get
step "the log (last 6 records)" 'component_' -- logs -n 6

printf '\n== stop: SIGTERM, the tree stops in reverse start order\n'
kill -TERM "$node"
wait "$node"
rc=$?
cat "$ctl/node.err"
if [ $rc -eq 0 ]; then echo "exit status 0 [ok]"; else echo "exit status $rc [NOT AS EXPECTED]"; failed=1; fi
stopped=$(grep -c '"event":"component_stopped"' "$log")
echo "component_stopped records: $stopped (the node's log: $log)"
if [ $failed -ne 0 ]; then
  echo "run-demo: some steps did not go as expected" >&2
  exit 1
fi
echo "run-demo: every step as expected"
