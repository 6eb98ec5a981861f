#!/bin/sh
# Data for the M2 experiments (bench/m2_experiments.sh): the Gutenberg books of the train split
# (licence headers stripped, 7.4 MB) for training and the whole dev split for evaluation, each
# coded every way the learnability table compares. Resumable: finished outputs are kept.
# usage: bench/m2_data.sh [OUTDIR=runs/m2/data] [THREADS=2]
#   OUTDIR/{train,dev}/          the text (one file per document)
#   OUTDIR/eiw_b16_t16/{train,dev}-*   eiw tokenize shards, 16-bit windows, 16-bit tokens
#   OUTDIR/eiw_b16_t8/ ... eiw_b64_t8/ 8-bit tokens, 16- and 64-bit windows
#   OUTDIR/ac/{train,dev}/       M1 arithmetic coding with no windows (one stream per document)
#   OUTDIR/zstd/{train,dev}/     zstd -19 of each document
set -eu
cd "$(dirname "$0")/.."
out=${1:-runs/m2/data}
threads=${2:-2}
[ -e "$out/.done" ] && exit 0
make -s eiw libeiw.a
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/ac_tokens.c libeiw.a \
   $(pkg-config --libs libzstd libxxhash openblas) -fopenmp -lm -o build/ac_tokens
scripts/train_prep_data.sh runs/data 2>/dev/null
for split in train dev; do
    mkdir -p "$out/$split"
    case $split in train) src="runs/data/train/gutenberg_*" ;; dev) src="runs/data/dev/*" ;; esac
    for f in $src; do [ -s "$out/$split/${f##*/}" ] || cp "$f" "$out/$split/"; done
done
for cfg in b16_t16 b16_t8 b64_t8; do
    b=${cfg%_*}; b=${b#b}; t=${cfg#*_t}
    mkdir -p "$out/eiw_$cfg"
    for split in train dev; do
        [ -s "$out/eiw_$cfg/$split.json" ] && continue
        echo "m2_data: eiw tokenize b=$b t=$t $split" >&2
        /usr/bin/time -f "m2_data: eiw_$cfg $split %e s wall %U s user" \
            ./eiw tokenize -q -T "$threads" --window-bits "$b" --token-bits "$t" \
            -o "$out/eiw_$cfg/$split" "$out/$split"
    done
done
for split in train dev; do
    mkdir -p "$out/ac/$split" "$out/zstd/$split"
    for f in "$out/$split"/*; do
        n=${f##*/}
        [ -s "$out/zstd/$split/$n.zst" ] || zstd -q -19 -f "$f" -o "$out/zstd/$split/$n.zst"
    done
    # one stream per document, $threads documents at a time
    for f in "$out/$split"/*; do
        [ -s "$out/ac/$split/${f##*/}.ac" ] || echo "$f"
    done | xargs -r -P "$threads" -I{} sh -c 'build/ac_tokens "$1" "$2/$(basename "$1").ac"' _ {} "$out/ac/$split"
done
touch "$out/.done"
echo "m2_data: done ($out)" >&2
