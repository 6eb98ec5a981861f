#!/bin/sh
# Stops a background `eiw train` run cleanly: SIGTERM (it writes its checkpoint and exits), then
# waits up to two minutes for it to be gone. PATTERN: how the trainer's command line starts.
# usage: scripts/stop_training.sh PATTERN   (e.g. "runs/m1/eiw.bin train")
set -eu
pattern=${1:?usage: $0 PATTERN}
# anchored: pgrep -f would also match this script (and its subshells), whose arguments hold
# PATTERN; the trainer's own command line starts with it
others() { pgrep -f "^$pattern" || true; }
pids=$(others)
[ -n "$pids" ] || exit 0
kill -TERM $pids
for i in $(seq 1 120); do
    [ -n "$(others)" ] || exit 0
    sleep 1
done
echo "$0: '$pattern' still running after 120 s" >&2
exit 1
