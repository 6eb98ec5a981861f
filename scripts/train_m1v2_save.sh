#!/bin/sh
# Ends a session's share of the M1 v2 run: stops scripts/train_m1v2.sh and its trainer cleanly
# (SIGTERM: the trainer writes its checkpoint and exits), then copies the checkpoint (weights and
# AdamW moments, so the run resumes exactly) and the curve so far into the tree.
# usage: scripts/train_m1v2_save.sh   (then commit model/weights/m1v2_train.ckpt and
#        bench/results/m1v2_curve.tsv)
set -eu
cd "$(dirname "$0")/.."
pkill -TERM -f "scripts/train_m1v2.sh" 2>/dev/null || true
scripts/stop_training.sh "runs/m1v2/eiw.bin train"
mkdir -p model/weights bench/results
cp runs/m1v2/m1v2.ckpt model/weights/m1v2_train.ckpt.tmp
mv model/weights/m1v2_train.ckpt.tmp model/weights/m1v2_train.ckpt
cp runs/m1v2/curve.tsv bench/results/m1v2_curve.tsv
echo "saved step $(od -An -tu8 -j112 -N8 model/weights/m1v2_train.ckpt | tr -d ' ')" >&2
tail -3 runs/m1v2/curve.tsv >&2
