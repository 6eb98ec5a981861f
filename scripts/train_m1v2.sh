#!/bin/sh
# Trains M1 v2 from scratch on the broad mixture (corpora/m1v2_mixture.txt, built by
# scripts/train_m1v2_data.sh), resumably, and records the training curve.
#
# Recipe (every value is here or in the checkpoint; nothing else is read):
#   shape   d_model 256, 4 heads, 3 layers, MLP 1024, ReLU, ALiBi, context 256, vocab 257 (BOS
#           256 before every sample): m1-202611's shape, so the default level's speed is unchanged
#           and the shapes table compares data, not cost (see bench/results/m1v2.md)
#   data    282,375,367 bytes (the mixture list, sha256-checked), 1 KiB pages in a seeded random
#           order; seed 1
#   optim   16,000 steps x batch 32 x 256 bytes = 131M bytes (~0.46 of one pass), AdamW lr 1.5e-3,
#           betas 0.9/0.95, wd 0.1 on matrices, warm-up 300, cosine to 10%, grad clip 1.0
#   curve   every 1,000 steps the run pauses (--stop-at, exact: resuming gives the weights of an
#           unbroken run), evaluates the checkpoint on each dev domain sample and appends a row to
#           runs/m1v2/curve.tsv (step, bytes seen, bits/byte per domain)
#
# Interruptions: SIGTERM/SIGINT checkpoint and stop; rerunning resumes from runs/m1v2/m1v2.ckpt,
# or, in a fresh checkout, from model/weights/m1v2_train.ckpt (copied there with the curve after
# every curve row, and by scripts/train_m1v2_save.sh at the end of a session; commit them). A
# finished run's checkpoint is kept there without its AdamW moments (scripts/ckpt_weights_only.c).
# A GPU, when one is at hand: scripts/train_m1_gpu.py --ckpt runs/m1v2/m1v2.ckpt --out ... --data
# runs/m1v2-data/train continues the same run (same batches and schedule, float rounding apart).
# Shapes (M1V2_SHAPE, for the shape table: everything else is the same recipe, data and seed):
#   main  d_model 256, 4 heads, 3 layers, MLP 1024 (2.49M parameters; the default)
#   s     d_model 192, 3 heads, 3 layers, MLP 768 (1.43M): heads of 64 as in main
#   xs    d_model 128, 2 heads, 3 layers, MLP 512 (0.66M): bench/models/m1-s's shape
#   Each shape has its own run directory (runs/m1v2, runs/m1v2-s, ...), checkpoint in the tree
#   (model/weights/m1v2_train.ckpt, m1v2-s_train.ckpt, ...) and curve (bench/results/m1v2_curve.tsv,
#   m1v2-s_curve.tsv, ...).
# usage: nohup scripts/train_m1v2.sh >> runs/m1v2/train.log 2>&1 &
#        M1V2_SHAPE=s nohup scripts/train_m1v2.sh >> runs/m1v2-s/train.log 2>&1 &
#        EIW_THREADS=N (default 2), EIW_NICE=N (default 5: interactive work keeps the machine)
set -eu
cd "$(dirname "$0")/.."
shape=${M1V2_SHAPE:-main}
case $shape in
main) tag=m1v2 dims="" ;;
s) tag=m1v2-s dims="--d-model 192 --heads 3 --layers 3 --d-ff 768" ;;
xs) tag=m1v2-xs dims="--d-model 128 --heads 2 --layers 3 --d-ff 512" ;;
*) echo "$0: M1V2_SHAPE: main, s or xs, not $shape" >&2; exit 2 ;;
esac
run=runs/$tag
data=runs/m1v2-data
saved=model/weights/${tag}_train.ckpt
curve=bench/results/${tag}_curve.tsv
steps=16000
every=1000
mkdir -p $run
scripts/train_m1v2_data.sh $data
[ -x ./eiw ] || make eiw
# a private copy, so that rebuilding ./eiw never disturbs the running job
[ -x $run/eiw.bin ] || cp ./eiw $run/eiw.bin
threads=${EIW_THREADS:-2}
nice="nice -n ${EIW_NICE:-5}"
# per-invocation options (not kept in the checkpoint): the same on every resume
runopts="--threads $threads --val $data/dev_sample.txt --val-tokens 0 --out $run/$tag.ckpt
    --ckpt-every 250 --eval-every 0 --log-every 10"
echo "train_m1v2.sh: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >&2

ckpt_step() { od -An -tu8 -j112 -N8 "$1" | tr -d ' '; }

if [ ! -f $run/$tag.ckpt ] && [ -f $saved ]; then
    cp $saved $run/$tag.ckpt
    [ -f $run/curve.tsv ] || cp $curve $run/curve.tsv 2>/dev/null || true
fi
[ -f $run/curve.tsv ] ||
    printf 'step\tbytes\t%s\n' "$(scripts/m1_domain_eval.sh --header x $data x)" > $run/curve.tsv

curve_row() {   # evaluates the checkpoint on every domain sample, appends one row
    s=$(ckpt_step $run/$tag.ckpt)
    grep -q "^$s	" $run/curve.tsv && return
    row="$s	$((s * 32 * 256))	$($nice scripts/m1_domain_eval.sh $run/$tag.ckpt $data $run/eiw.bin)"
    echo "$row" >> $run/curve.tsv
    echo "curve: $row" >&2
    # the run so far into the tree too (uncommitted changes can outlive a session; runs/ not)
    cp $run/$tag.ckpt $saved.tmp
    mv $saved.tmp $saved
    cp $run/curve.tsv $curve
}

# a trainer of this run still going (its wrapper was stopped): let it reach its pause first
while pgrep -f "$run/eiw.bin train" >/dev/null; do sleep 20; done

while :; do
    if [ -f $run/$tag.ckpt ]; then
        s=$(ckpt_step $run/$tag.ckpt)
        [ $((s % every)) -eq 0 ] && curve_row   # a pause whose row is missing (stopped run)
        [ "$s" -ge $steps ] && break
        next=$(( (s / every + 1) * every ))
        $nice $run/eiw.bin train --resume $run/$tag.ckpt --data $data/train $runopts \
            --stop-at $next
    else
        $nice $run/eiw.bin train --config m1 $dims --seed 1 --steps $steps --batch 32 --context 256 \
            --lr 1.5e-3 --warmup 300 --min-lr-frac 0.1 --weight-decay 0.1 --grad-clip 1.0 \
            --data $data/train $runopts --stop-at $every
    fi
done
# the finished run goes into the tree without its AdamW moments (10 MB, not 30): weights and step
# are all that export, evaluation and the GPU mirror read
make -s build/ckpt_weights_only
build/ckpt_weights_only $run/$tag.ckpt $saved
cp $run/curve.tsv $curve
echo "train_m1v2.sh: $tag done, $(ckpt_step $run/$tag.ckpt) steps" >&2
