#!/bin/sh
# Model size against bits/byte and speed: the default M1 and two smaller variants trained with
# the same recipe (bench/models/, see bench/results/m1.md), plus the static order1 model, on the
# dev prose files concatenated (alice29, asyoulik, lcet10, plrabn12, tom sawyer), with
# `eiw bench` (in process, 16 KiB blocks for the neural models). Threads: $THREADS (default 2).
# usage: bench/m1_tradeoff.sh [MODES]   (default stream,16)
set -eu
cd "$(dirname "$0")/.."
modes=${1:-stream,16}
corp=${EIW_CORPORA:-../shared/corpora}
[ -x ./eiw ] || make -s eiw
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cat $corp/canterbury/alice29.txt $corp/canterbury/asyoulik.txt $corp/canterbury/lcet10.txt \
    $corp/canterbury/plrabn12.txt $corp/gutenberg/pg74_tom_sawyer.txt > "$tmp/prose.txt"
for m in m1 bench/models/m1-s.eiwm bench/models/m1-xs.eiwm order1; do
    ./eiw bench --model "$m" --threads "${THREADS:-2}" --runs 1 --modes "$modes" "$tmp/prose.txt"
done
