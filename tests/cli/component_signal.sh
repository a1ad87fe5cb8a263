#!/bin/sh
# tests/cli/component_signal.sh TROUPE COMPONENTS_DIR WORK_DIR SIGNAL: `troupe component
# run` with no action runs a component until a signal asks for an orderly stop. It is
# started with its audit log in a file; once the log says the component started, the
# signal comes, and the command must exit 0 with the component stopped in order (reason
# shutdown: its _cleanup ran). Every wait is bounded; nothing here measures time.
set -u
troupe=$1 dir=$2 work=$3 sig=$4
mkdir -p "$work"
log=$work/signal_$sig.log
rm -f "$log"

"$troupe" component run "$dir/publisher.wasm" --log "$log" &
pid=$!
i=0
until grep -q '"event":"component_started"' "$log" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "troupe ended before the signal"; cat "$log"; exit 1
  fi
  i=$((i + 1))
  if [ "$i" -gt 1200 ]; then
    echo "no component_started in 60 s"; kill -KILL "$pid"; exit 1
  fi
  sleep 0.05
done
kill -"$sig" "$pid"
wait "$pid"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "exit status $rc after SIG$sig, want 0"; cat "$log"; exit 1
fi
if ! grep -q '"event":"component_stopped".*"reason":"shutdown"' "$log"; then
  echo "the log has no orderly stop"; cat "$log"; exit 1
fi
if ! grep -q '"event":"component_log".*publisher stopping after 0 ticks' "$log"; then
  echo "the log has no line from _cleanup"; cat "$log"; exit 1
fi
echo "SIG$sig: stopped in order"
