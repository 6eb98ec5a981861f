#!/bin/sh
# Ends a session's share of an M1 v2 run: stops scripts/train_m1v2.sh and its trainer cleanly
# (SIGTERM: the trainer writes its checkpoint and exits), then copies the checkpoint (weights and
# AdamW moments, so the run resumes exactly) and the curve so far into the tree.
# usage: [M1V2_SHAPE=main|s|xs] scripts/train_m1v2_save.sh   (then commit
#        model/weights/TAG_train.ckpt and bench/results/TAG_curve.tsv; TAG m1v2, m1v2-s, ...)
set -eu
cd "$(dirname "$0")/.."
shape=${M1V2_SHAPE:-main}
case $shape in
main) tag=m1v2 ;;
s | xs) tag=m1v2-$shape ;;
*) echo "$0: M1V2_SHAPE: main, s or xs, not $shape" >&2; exit 2 ;;
esac
run=runs/$tag
# the wrapper of this shape only (each shape's runs alongside the others): told apart by the
# M1V2_SHAPE in its environment
for pid in $(pgrep -f "scripts/train_m1v2.sh" || true); do
    s=$(tr '\0' '\n' < /proc/$pid/environ 2>/dev/null | sed -n 's/^M1V2_SHAPE=//p')
    [ "${s:-main}" = "$shape" ] && kill -TERM $pid 2>/dev/null || true
done
scripts/stop_training.sh "$run/eiw.bin train"
mkdir -p model/weights bench/results
step() { od -An -tu8 -j112 -N8 "$1" 2>/dev/null | tr -d ' '; }
# a finished run is in the tree already (weights only, by scripts/train_m1v2.sh)
if [ "$(step $run/$tag.ckpt)" != "$(step model/weights/${tag}_train.ckpt)" ]; then
    cp $run/$tag.ckpt model/weights/${tag}_train.ckpt.tmp
    mv model/weights/${tag}_train.ckpt.tmp model/weights/${tag}_train.ckpt
    cp $run/curve.tsv bench/results/${tag}_curve.tsv
fi
echo "saved $tag step $(step model/weights/${tag}_train.ckpt)" >&2
tail -3 $run/curve.tsv >&2
