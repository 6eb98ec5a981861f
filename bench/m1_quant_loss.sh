#!/bin/sh
# How much the integer M1 loses against its float checkpoint, in the same evaluation windows.
# usage: bench/m1_quant_loss.sh CKPT [FILE...]   (default: the first 256 KiB of each dev prose file)
set -eu
cd "$(dirname "$0")/.."
ckpt=$1
shift
corp=${EIW_CORPORA:-../shared/corpora}
make -s eiw libeiw.a
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/m1_quant_loss.c libeiw.a \
   $(pkg-config --libs libzstd libxxhash openblas) -fopenmp -lm -o build/m1_quant_loss
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./eiw export "$ckpt" -o "$tmp/m.eiwm" --name quant-check
if [ $# -eq 0 ]; then
    for f in canterbury/alice29.txt canterbury/asyoulik.txt gutenberg/pg74_tom_sawyer.txt; do
        head -c 65536 "$corp/$f" > "$tmp/$(basename $f)"
        set -- "$@" "$tmp/$(basename $f)"
    done
fi
for f in "$@"; do
    ./eiw train --eval "$ckpt" --val "$f" --threads 2 | sed 's/^/float   /'
    build/m1_quant_loss "$tmp/m.eiwm" 256 "$f"
done
