#!/bin/sh
# Coder overhead and Equal-Info Window statistics on the dev split (needs ../shared/corpora).
# Usage: bench/codec_stats.sh [MODEL|FILE.eiwm]   (default: the default M1). Run from the root.
set -e
model=${1:-m1}
corp=${EIW_CORPORA:-../shared/corpora}
[ -d "$corp" ] || { echo "codec_stats: $corp not found" >&2; exit 1; }
make -s libeiw.a
mkdir -p build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/codec_stats.c libeiw.a $(pkg-config --libs libzstd libxxhash openblas) \
   -fopenmp -lm -o build/codec_stats
files=$(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
build/codec_stats "$model" $files
