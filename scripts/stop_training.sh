#!/bin/sh
# Stops a background `eiw train` run cleanly: SIGTERM (it writes its checkpoint and exits), then
# waits up to two minutes for it to be gone. PATTERN matches the trainer's command line.
# usage: scripts/stop_training.sh PATTERN   (e.g. "runs/m1/eiw.bin train")
set -eu
pattern=${1:?usage: $0 PATTERN}
pids=$(pgrep -f "$pattern" || true)
[ -n "$pids" ] || exit 0
kill -TERM $pids
for i in $(seq 1 120); do
    pgrep -f "$pattern" >/dev/null || exit 0
    sleep 1
done
echo "$0: '$pattern' still running after 120 s" >&2
exit 1
