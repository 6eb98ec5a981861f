#!/bin/sh
# Data for the M2 experiments (bench/m2_experiments.sh): a training set of the train split and the
# whole dev split for evaluation, each coded every way the learnability table compares, with one
# M1. Resumable: finished outputs are kept (an OUTDIR belongs to one model and one training set).
# usage: bench/m2_data.sh [OUTDIR=runs/m2/data] [THREADS=2]
#   env: M2_MODEL     the M1 (built-in name or .eiwm file; default the default M1)
#        M2_TRAIN     books: the Gutenberg books of the train split (licence headers stripped,
#                     7.4 MB; the default); broad: M2_TRAIN_MB MB (default 24) of the broad
#                     corpus (../shared/corpora/broad, all train split), every source in
#                     proportion to its size, as 64 KiB pieces evenly spaced through it and cut
#                     at line ends (one file per piece; bytes as they are)
#   OUTDIR/{train,dev}/          the text (one file per document)
#   OUTDIR/ABOUT                 one line: the model and the training set (for the report)
#   OUTDIR/eiw_b16_t16/{train,dev}-*   eiw tokenize shards, 16-bit windows, 16-bit tokens
#   OUTDIR/eiw_b16_t8/ ... eiw_b64_t8/ 8-bit tokens, 16- and 64-bit windows
#   OUTDIR/ac/{train,dev}/       M1 arithmetic coding with no windows (one stream per document)
#   OUTDIR/zstd/{train,dev}/     zstd -19 of each document
set -eu
cd "$(dirname "$0")/.."
out=${1:-runs/m2/data}
threads=${2:-2}
model=${M2_MODEL:-m1}
trainset=${M2_TRAIN:-books}
mb=${M2_TRAIN_MB:-24}
[ -e "$out/.done" ] && exit 0
make -s eiw libeiw.a
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/ac_tokens.c libeiw.a \
   $(pkg-config --libs libzstd libxxhash openblas) -fopenmp -lm -o build/ac_tokens

# broad_piece FILE OFFSET OUT: 64 KiB of FILE from OFFSET, from the line after the one OFFSET falls
# in (the whole file's start at offset 0) to the end of the last whole line
broad_piece() {
    tail -c +$(($2 + 1)) "$1" | head -c $((65536 + 4096)) |
        if [ "$2" -eq 0 ]; then cat; else sed 1d; fi | head -c 65536 | sed '$d' > "$3.tmp"
    mv "$3.tmp" "$3"
}

scripts/train_prep_data.sh runs/data 2>/dev/null
mkdir -p "$out/train" "$out/dev"
for f in runs/data/dev/*; do [ -s "$out/dev/${f##*/}" ] || cp "$f" "$out/dev/"; done
case $trainset in
books)
    for f in runs/data/train/gutenberg_*; do [ -s "$out/train/${f##*/}" ] || cp "$f" "$out/train/"; done
    about="train: the Gutenberg books of the train split ($(cat "$out"/train/* | wc -c) bytes)" ;;
broad)
    scripts/train_m1v2_data.sh runs/m1v2-data >/dev/null
    total=0
    for f in runs/m1v2-data/train/*_broad_*; do
        case $f in *.copy*) continue ;; esac
        total=$((total + $(wc -c < "$f")))
    done
    for f in runs/m1v2-data/train/*_broad_*; do
        case $f in *.copy*) continue ;; esac
        size=$(wc -c < "$f")
        name=${f##*/}; name=${name#*_broad_}; name=${name%.txt}
        # this source's share of M2_TRAIN_MB, in 64 KiB pieces (at least one)
        n=$(awk -v s="$size" -v t="$total" -v mb="$mb" 'BEGIN { n = int(s / t * mb * 16 + 0.5); print n < 1 ? 1 : n }')
        i=0
        while [ $i -lt "$n" ]; do
            piece=$out/train/$(printf '%s_%04d.txt' "$name" "$i")
            [ -s "$piece" ] || broad_piece "$f" $((size / n * i)) "$piece"
            i=$((i + 1))
        done
    done
    about="train: $(ls "$out/train" | wc -l) pieces of 64 KiB of ../shared/corpora/broad ($(cat "$out"/train/* | wc -c) bytes)" ;;
*) echo "$0: M2_TRAIN: books or broad, not $trainset" >&2; exit 2 ;;
esac
for cfg in b16_t16 b16_t8 b64_t8; do
    b=${cfg%_*}; b=${b#b}; t=${cfg#*_t}
    mkdir -p "$out/eiw_$cfg"
    for split in train dev; do
        [ -s "$out/eiw_$cfg/$split.json" ] && continue
        echo "m2_data: eiw tokenize b=$b t=$t $split" >&2
        /usr/bin/time -f "m2_data: eiw_$cfg $split %e s wall %U s user" \
            ./eiw tokenize -q -T "$threads" --model "$model" --window-bits "$b" --token-bits "$t" \
            -o "$out/eiw_$cfg/$split" "$out/$split"
    done
done
# the M1's name and id, as the datasets record them
model_name=$(tr -d '\n' < "$out/eiw_b16_t8/train.json" |
    sed 's/.*"model": *{[^}]*"name": *"\([^"]*\)".*/\1/')
echo "M1: $model_name; $about; dev: the whole dev split ($(cat "$out"/dev/* | wc -c) bytes)" \
    > "$out/ABOUT"
for split in train dev; do
    mkdir -p "$out/ac/$split" "$out/zstd/$split"
    for f in "$out/$split"/*; do
        n=${f##*/}
        [ -s "$out/zstd/$split/$n.zst" ] || zstd -q -19 -f "$f" -o "$out/zstd/$split/$n.zst"
    done
    # one stream per document, $threads documents at a time
    for f in "$out/$split"/*; do
        [ -s "$out/ac/$split/${f##*/}.ac" ] || echo "$f"
    done | xargs -r -P "$threads" -I{} sh -c 'build/ac_tokens "$1" "$2/$(basename "$1").ac" "$3"' \
        _ {} "$out/ac/$split" "$model"
done
touch "$out/.done"
echo "m2_data: done ($out)" >&2
