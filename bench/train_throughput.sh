#!/bin/sh
# Builds and runs the training-throughput benchmark against ./libeiw_train.a and ./libeiw.a.
# usage: bench/train_throughput.sh [config=m1] [threads=2] [steps=10]
set -eu
cd "$(dirname "$0")/.."
make -s libeiw.a libeiw_train.a
mkdir -p build/bench
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -fopenmp -Iinclude bench/train_throughput.c \
    libeiw_train.a libeiw.a \
    $(pkg-config --libs libzstd libxxhash openblas) -fopenmp -lm -o build/bench/train_throughput
data=runs/data/train/canterbury-large_bible.txt
[ -f "$data" ] || scripts/train_prep_data.sh runs/data
# same thread settings as `eiw train` (see cli/cmd_train.c)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
build/bench/train_throughput "${1:-m1}" "${2:-2}" "${3:-10}" "$data"
