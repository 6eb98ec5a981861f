#!/bin/sh
# Regenerates the seed corpora (tests/fuzz_corpus/<target>/seed-*) with fuzz/make_seeds.c.
# Files found by fuzzing (crash-*, min-*) are kept as they are.
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory -s libeiw.a libeiw_train.a
flags="$(pkg-config --cflags --libs libzstd libxxhash jansson openblas)"
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -Iinclude -I. \
    fuzz/make_seeds.c fuzz/fuzz_common.c fuzz/fuzz_container.c fuzz/fuzz_window.c \
    fuzz/fuzz_model.c fuzz/fuzz_checkpoint.c fuzz/fuzz_shard.c fuzz/fuzz_jsonl.c \
    fuzz/fuzz_manifest.c \
    libeiw_train.a libeiw.a \
    $flags -fopenmp -lm -o /tmp/eiw-make-seeds
/tmp/eiw-make-seeds
rm -f /tmp/eiw-make-seeds
du -sh tests/fuzz_corpus
