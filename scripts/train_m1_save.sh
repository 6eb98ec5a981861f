#!/bin/sh
# Stops the background M1 run cleanly (SIGTERM: it writes a checkpoint and exits), then copies
# the checkpoint into the tree so the next session resumes it (scripts/train_m1.sh).
# usage: scripts/train_m1_save.sh   (then commit model/weights/m1_train.ckpt)
set -eu
cd "$(dirname "$0")/.."
scripts/stop_training.sh "runs/m1/eiw.bin train"
mkdir -p model/weights
cp runs/m1/m1.ckpt model/weights/m1_train.ckpt.tmp
mv model/weights/m1_train.ckpt.tmp model/weights/m1_train.ckpt
./eiw train --eval model/weights/m1_train.ckpt --val runs/data/dev --val-tokens 262144 2>/dev/null \
    | sed 's/^/dev (first 256 KiB): /' || true
tail -1 runs/m1/train.log
