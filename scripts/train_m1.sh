#!/bin/sh
# Trains the M1 byte model (config m1: d=256, 4 heads, 3 layers, MLP 1024, ReLU, ALiBi, ctx 256,
# vocab 257: every sample starts with BOS 256, so position 0 learns the window-start distribution)
# on the train split, checkpointing to runs/m1/m1.ckpt every 250 steps. Re-running resumes from
# that checkpoint exactly (stop it with SIGTERM/SIGINT: it checkpoints before exiting).
# Recipe: all of corpora/train.txt (Gutenberg stripped), seed 1, batch 32 x 256 bytes, 12000 steps
# (~98M bytes, ~6 epochs), AdamW lr 1.5e-3 (0.9/0.95, wd 0.1 on matrices), warm-up 300, cosine
# to 10%, clip 1.0; dev eval on 256 KiB every 500 steps.
# Sessions end after 180 minutes: the latest checkpoint is committed as model/weights/m1_train.ckpt
# (scripts/train_m1_save.sh); a fresh checkout resumes from it.
# The model of eiw 0.1-0.4 (model/weights/m1-202611.eiwm, still built in) is this run: steps 1-4750 with eiw train
# (this machine, and steps 3734-4379 on a 16-core machine), steps 4751-12000 on an H100 with
# scripts/train_m1_gpu.py, which mirrors eiw train (same batches, schedule, AdamW; float32,
# different summation order). Its final weights are model/weights/m1_train.ckpt (step 12000,
# weights only: the AdamW moments of a finished run are not kept, so the file is 10 MB, not 30).
# Export: eiw export model/weights/m1_train.ckpt -o model/weights/m1-202611.eiwm --name m1-202611
# usage: nohup scripts/train_m1.sh >> runs/m1/train.log 2>&1 &
set -eu
cd "$(dirname "$0")/.."
run=runs/m1
mkdir -p $run
scripts/train_prep_data.sh runs/data
[ -x ./eiw ] || make eiw
# run a private copy so that rebuilding ./eiw never disturbs a running job
cp ./eiw $run/eiw.bin
threads=${EIW_THREADS:-2}
echo "train_m1.sh: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >&2
# continue a committed unfinished run (a checkpoint with training state, flag bit 0)
if [ ! -f $run/m1.ckpt ] && [ -f model/weights/m1_train.ckpt ] &&
   [ "$(od -An -tu4 -j12 -N4 model/weights/m1_train.ckpt | tr -d ' ')" = 1 ]; then
    cp model/weights/m1_train.ckpt $run/m1.ckpt
fi
if [ -f $run/m1.ckpt ]; then
    exec $run/eiw.bin train --resume $run/m1.ckpt --threads "$threads" --data runs/data/train \
        --val runs/data/dev --out $run/m1.ckpt --ckpt-every 250 --eval-every 500 --log-every 10
fi
exec $run/eiw.bin train --config m1 --seed 1 --steps 12000 --batch 32 --context 256 --lr 1.5e-3 \
    --warmup 300 --min-lr-frac 0.1 --weight-decay 0.1 --grad-clip 1.0 \
    --threads "$threads" --data runs/data/train --val runs/data/dev --out $run/m1.ckpt \
    --ckpt-every 250 --eval-every 500 --log-every 10
