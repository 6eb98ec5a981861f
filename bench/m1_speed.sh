#!/bin/sh
# Integer M1 speed in the codec, one thread, one block (see bench/m1_speed.c).
# usage: bench/m1_speed.sh [FILE] [N] [se,sd,we,wd]
set -eu
cd "$(dirname "$0")/.."
make -s libeiw.a
cc -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/m1_speed.c libeiw.a \
   $(pkg-config --cflags --libs libzstd libxxhash openblas) -fopenmp -lm -o build/m1_speed
build/m1_speed "${1:-${EIW_CORPORA:-../shared/corpora}/canterbury/alice29.txt}" "${2:-20000}" "${3:-se,sd,we,wd}"
