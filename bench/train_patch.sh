#!/bin/sh
# Patch-level vs token-level training on the train split, same data budget, small model:
# K=4, L=2/3 (stage 1 on patches, then token level) against L=0, and L=0 at equal compute. Prints each run's FLOPs, wall
# time and final dev bits/byte (token level, whole dev split, 128-byte windows from position 0).
# usage: bench/train_patch.sh [steps=4000] [threads=2]     (logs in runs/bench/)
set -eu
cd "$(dirname "$0")/.."
steps=${1:-4000}
threads=${2:-2}
make -s eiw
scripts/train_prep_data.sh runs/data
mkdir -p runs/bench
common="--config small --seed 7 --steps $steps --threads $threads --data runs/data/train
        --val runs/data/dev --val-tokens 0 --eval-every 0 --ckpt-every 0 --log-every 200"
run() {   # name, extra flags
    log=runs/bench/patch_$1.log
    ./eiw train $common --out runs/bench/patch_$1.ckpt $2 > "$log" 2>&1
    wall=$(grep 'eiw train: done' "$log" | sed 's/.*(\([0-9.]*\) s training.*/\1/')
    bpb=$(grep '^val step' "$log" | tail -1 | sed 's/.*, \([0-9.]*\) bits\/byte.*/\1/')
    pf=$(grep 'stage 1' "$log" | sed 's/.*stage 1 (patch K=[0-9]*): \([0-9]*\) steps, \([0-9.e+-]*\) PFLOP; stage 2 (token): \([0-9]*\) steps, \([0-9.e+-]*\) PFLOP; cost \([0-9.]*\) x.*/\1 \2 \3 \4 \5/')
    echo "$1 $wall $bpb $pf"
}
echo "# bench/train_patch.sh steps=$steps threads=$threads ($(date -u +%FT%TZ))"
echo "| run | stage-1 steps | stage-1 PFLOP | stage-2 steps | stage-2 PFLOP | cost vs token | training wall s | dev bits/byte |"
echo "|---|---|---|---|---|---|---|---|"
half=$((steps / 2))
# third run: token level with the patch run's compute (half the steps, half the data)
for spec in "token:--patch-size 1 --patch-fraction 0" "patch_k4_l23:--patch-size 4 --patch-fraction 0.6666667" \
            "token_half:--patch-size 1 --patch-fraction 0 --steps $half"; do
    name=${spec%%:*}
    set -- $(run "$name" "${spec#*:}")
    # name wall bpb s1 pf1 s2 pf2 cost; wall = training only (dev evaluation excluded)
    printf '| %s | %s | %s | %s | %s | %s | %.0f | %s |\n' "$1" "$4" "$5" "$6" "$7" "$8" "$2" "$3"
done
