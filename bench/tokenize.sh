#!/usr/bin/env bash
# eiw tokenize benchmarks (results: bench/results/tokenize.md). Needs ../shared/corpora.
#   bench/tokenize.sh dev       throughput (input MB/s, wall clock) with M1 on the dev split: 1 and
#                               2 threads, 1 and 2 MPI ranks; tokens per byte for 16-bit windows
#                               with 8- and 16-bit tokens; outputs compared byte for byte
#   bench/tokenize.sh identity  the whole train split with order1: 1 and 2 threads, 1 and 2 MPI
#                               ranks give identical files; detokenize restores the split
#   bench/tokenize.sh train     the whole train split with M1 (2 threads), detokenize, compare
# Prints Markdown rows. Runs under nice -n 19 (the machine is shared). Builds ./eiw and
# build-mpi/eiw (make MPI=1). Work files go to $EIW_BENCH_TMP (default /tmp/eiw-bench-tok).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-dev}
corpora=../shared/corpora
[ -d "$corpora" ] || { echo "bench/tokenize.sh: $corpora not found" >&2; exit 1; }
make --no-print-directory >/dev/null
make --no-print-directory MPI=1 >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=${EIW_BENCH_TMP:-/tmp/eiw-bench-tok}
rm -rf "$tmp"
mkdir -p "$tmp"
eiw=$PWD/eiw
mpi_eiw=$PWD/build-mpi/eiw

split_files() {
    grep -v '^#' "corpora/$1.txt" | sed "s|^|$corpora/|"
}

# run NAME CMD...: runs it niced, prints the wall seconds
timed() {
    local start end
    start=$(date +%s.%N)
    nice -n 19 "$@"
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }'
}

same_dir() {   # two output directories hold identical files
    local a=$1 b=$2 f
    for f in "$a"/*; do cmp -s "$f" "$b/$(basename "$f")" || { echo "DIFFERENT: $f" >&2; return 1; }; done
    [ "$(ls "$a" | wc -l)" = "$(ls "$b" | wc -l)" ]
}

manifest() {   # PREFIX FIELD
    sed -n "s/^  \"$2\": \([0-9.]*\),*$/\1/p" "$1.json"
}

case "$mode" in
dev)
    mapfile -t files < <(split_files dev)
    bytes=$(cat "${files[@]}" | wc -c)
    echo "dev split: ${#files[@]} files, $bytes bytes, model M1 (default), 16-bit windows, 16-bit tokens, $(nproc) cores"
    echo
    echo "| run | shards | wall s | input MB/s | identical |"
    echo "|---|---|---|---|---|"
    # threads: one shard (the default 64M), so both threads share all segments
    mkdir -p "$tmp"/t1 "$tmp"/t2 "$tmp"/np1 "$tmp"/np2 "$tmp"/t8
    s1=$(timed "$eiw" tokenize -q -T 1 -o "$tmp/t1/dev" "${files[@]}")
    s2=$(timed "$eiw" tokenize -q -T 2 -o "$tmp/t2/dev" "${files[@]}")
    same_dir "$tmp/t1" "$tmp/t2" && id=yes || id=NO
    n=$(manifest "$tmp/t1/dev" shard_count)
    echo "| 1 thread | $n | $s1 | $(awk -v b="$bytes" -v s="$s1" 'BEGIN{printf "%.4f", b/s/1e6}') | |"
    echo "| 2 threads | $n | $s2 | $(awk -v b="$bytes" -v s="$s2" 'BEGIN{printf "%.4f", b/s/1e6}') | $id (vs 1 thread) |"
    # MPI ranks, 1 thread each: shards of 128K go round-robin to the ranks
    s3=$(timed mpirun -np 1 "$mpi_eiw" tokenize -q -T 1 --shard-size 128K -o "$tmp/np1/dev" "${files[@]}")
    s4=$(timed mpirun -np 2 "$mpi_eiw" tokenize -q -T 1 --shard-size 128K -o "$tmp/np2/dev" "${files[@]}")
    same_dir "$tmp/np1" "$tmp/np2" && id=yes || id=NO
    n=$(manifest "$tmp/np1/dev" shard_count)
    echo "| 1 MPI rank x 1 thread | $n | $s3 | $(awk -v b="$bytes" -v s="$s3" 'BEGIN{printf "%.4f", b/s/1e6}') | |"
    echo "| 2 MPI ranks x 1 thread | $n | $s4 | $(awk -v b="$bytes" -v s="$s4" 'BEGIN{printf "%.4f", b/s/1e6}') | $id (vs 1 rank) |"
    "$eiw" detokenize -q -o "$tmp/back.txt" "$tmp/np2/dev"
    cat "${files[@]}" | cmp -s - "$tmp/back.txt" && rt=yes || rt=NO
    s5=$(timed "$eiw" tokenize -q -T 2 --token-bits 8 -o "$tmp/t8/dev" "${files[@]}")
    echo
    echo "| window bits | token bits | tokens | tokens/byte | bytes/token | bits/byte | ratio |"
    echo "|---|---|---|---|---|---|---|"
    for d in t1 t8; do
        p="$tmp/$d/dev"
        tb=$(manifest "$p" token_bits)
        tok=$(manifest "$p" tokens)
        echo "| 16 | $tb | $tok | $(awk -v t="$tok" -v b="$bytes" 'BEGIN{printf "%.4f", t/b}') | $(manifest "$p" bytes_per_token) | $(manifest "$p" bits_per_byte) | $(manifest "$p" compression_ratio) |"
    done
    echo
    echo "detokenize of the 2-rank output restores the dev split: $rt; 8-bit token run: $s5 s (2 threads)"
    ;;
identity)
    mapfile -t files < <(split_files train)
    bytes=$(cat "${files[@]}" | wc -c)
    echo "train split with order1: ${#files[@]} files, $bytes bytes, --shard-size 1M"
    mkdir -p "$tmp"/t1 "$tmp"/t2 "$tmp"/np1 "$tmp"/np2
    s1=$(timed "$eiw" tokenize -q -T 1 --model order1 --shard-size 1M -o "$tmp/t1/train" "${files[@]}")
    s2=$(timed "$eiw" tokenize -q -T 2 --model order1 --shard-size 1M -o "$tmp/t2/train" "${files[@]}")
    s3=$(timed mpirun -np 1 "$mpi_eiw" tokenize -q -T 1 --model order1 --shard-size 1M -o "$tmp/np1/train" "${files[@]}")
    s4=$(timed mpirun -np 2 "$mpi_eiw" tokenize -q -T 1 --model order1 --shard-size 1M -o "$tmp/np2/train" "${files[@]}")
    r="identical"
    for d in t2 np1 np2; do same_dir "$tmp/t1" "$tmp/$d" || r="DIFFERENT ($d)"; done
    "$eiw" detokenize -q -o "$tmp/back.txt" "$tmp/np2/train"
    cat "${files[@]}" | cmp -s - "$tmp/back.txt" && rt=yes || rt=NO
    echo "| 1 thread | 2 threads | 1 rank | 2 ranks | files | outputs | detokenize = input |"
    echo "|---|---|---|---|---|---|---|"
    echo "| $s1 s | $s2 s | $s3 s | $s4 s | $(ls "$tmp/t1" | wc -l) | $r | $rt |"
    ;;
train)
    mapfile -t files < <(split_files train)
    bytes=$(cat "${files[@]}" | wc -c)
    echo "train split with M1: ${#files[@]} files, $bytes bytes, 2 threads, --shard-size 4M"
    mkdir -p "$tmp/m1"
    s=$(timed "$eiw" tokenize -v -T 2 --shard-size 4M -o "$tmp/m1/train" "${files[@]}")
    d=$(timed "$eiw" detokenize -q -T 2 -o "$tmp/back.txt" "$tmp/m1/train")
    cat "${files[@]}" | cmp -s - "$tmp/back.txt" && rt=yes || rt=NO
    "$eiw" inspect "$tmp/m1/train"
    echo
    echo "| input bytes | tokens | tokenize s | input MB/s | detokenize s | detokenize = input |"
    echo "|---|---|---|---|---|---|"
    echo "| $bytes | $(manifest "$tmp/m1/train" tokens) | $s | $(awk -v b="$bytes" -v s="$s" 'BEGIN{printf "%.4f", b/s/1e6}') | $d | $rt |"
    ;;
*)
    echo "usage: bench/tokenize.sh dev|identity|train" >&2
    exit 2
    ;;
esac
