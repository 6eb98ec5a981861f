#!/usr/bin/env bash
# `mpirun -np 2 eiw tokenize` must write the same bytes (shards, indexes, sidecars, manifest)
# as one process of the MPI build and as the default build, with 1 or 2 threads, and decode
# back to the input. Builds with `make MPI=1` (installs OpenMPI when missing). Run by .ci/run.
# Inputs: the dev split when ../shared/corpora exists (first 40 KB of each file, so the M1
# run stays short), else generated text; order1 for the bulk, M1 for one small run.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory MPI=1 >/dev/null
make --no-print-directory >/dev/null
mpi_bin=build-mpi/eiw
bin=./eiw
tmp=$(mktemp -d /tmp/eiw-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # CI containers run as root
export OMPI_MCA_rmaps_base_oversubscribe=1                          # 2 ranks on any machine

mkdir -p "$tmp/in"
if [ -d ../shared/corpora ]; then
    while read -r f; do
        case "$f" in '#'*|'') continue ;; esac
        head -c 40000 "../shared/corpora/$f" > "$tmp/in/$(basename "$f")"
    done < corpora/dev.txt
else
    for i in 1 2 3 4 5 6; do
        for k in $(seq $((i * 3))); do cat tests/data/sample.txt; done > "$tmp/in/gen$i.txt"
    done
fi
cat "$tmp"/in/* > "$tmp/all.txt"

check_same() {   # dir_a dir_b
    local n=0
    for f in "$1"/*; do
        cmp "$f" "$2/$(basename "$f")"
        n=$((n + 1))
    done
    [ "$n" -ge 4 ] || { echo "tokenize_mpi: only $n files in $1" >&2; exit 1; }
}

run() {   # name model shard_size
    local name=$1 model=$2 size=$3
    mkdir -p "$tmp/$name"/{np2,np1,plain,t1}
    mpirun -np 2 "$mpi_bin" tokenize -q -T 1 --model "$model" --shard-size "$size" \
        -o "$tmp/$name/np2/ds" "$tmp"/in/*
    "$mpi_bin" tokenize -q -T 2 --model "$model" --shard-size "$size" -o "$tmp/$name/np1/ds" "$tmp"/in/*
    "$bin" tokenize -q -T 2 --model "$model" --shard-size "$size" -o "$tmp/$name/plain/ds" "$tmp"/in/*
    "$bin" tokenize -q -T 1 --model "$model" --shard-size "$size" -o "$tmp/$name/t1/ds" "$tmp"/in/*
    check_same "$tmp/$name/np1" "$tmp/$name/np2"
    check_same "$tmp/$name/np1" "$tmp/$name/plain"
    check_same "$tmp/$name/np1" "$tmp/$name/t1"
    "$bin" detokenize -o "$tmp/$name/back.txt" "$tmp/$name/np2/ds"
    cmp "$tmp/$name/back.txt" "$tmp/all.txt"
    echo "tokenize_mpi: $name: 2 ranks = 1 rank = default build = 1 thread, $(ls "$tmp/$name/np2" | wc -l) files; detokenize restores the input"
}

run order1 order1 60K
# M1 on a little of it: the same with the neural model
rm -f "$tmp"/in/*
head -c 6000 "$tmp/all.txt" > "$tmp/in/a.txt"
tail -c 4000 "$tmp/all.txt" > "$tmp/in/b.txt"
cat "$tmp"/in/* > "$tmp/all.txt"
run m1 m1 3K
