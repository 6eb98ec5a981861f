#!/usr/bin/env bash
# eiw tokenize benchmarks (results: bench/results/tokenize.md). Needs ../shared/corpora.
#   bench/tokenize.sh dev       throughput (input MB/s, wall clock) with M1 on the dev split: 1 and
#                               2 threads, 1 and 2 MPI ranks; tokens per byte for 16-bit windows
#                               with 8- and 16-bit tokens; outputs compared byte for byte
#   bench/tokenize.sh identity  the whole train split with order1: 1 and 2 threads, 1 and 2 MPI
#                               ranks give identical files; detokenize restores the split
#   bench/tokenize.sh train     the whole train split with M1 (2 threads), detokenize, compare
#   bench/tokenize.sh train-mpi the same on 2 MPI ranks; its files must equal the train run's
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

# timed CMD...: runs it niced; prints the wall seconds, and leaves "wall cpu" seconds (cpu:
# user + sys of the command and its children, MPI ranks included) in $tmp/last_time. The
# machine is shared: wall time depends on what else runs, CPU time much less.
timed() {
    nice -n 19 /usr/bin/time -o "$tmp/last_time" -f "%e %U %S" "$@"
    awk '{ printf "%.2f %.2f", $1, $2 + $3 }' "$tmp/last_time" > "$tmp/last_time2"
    mv "$tmp/last_time2" "$tmp/last_time"
    cut -d' ' -f1 "$tmp/last_time"
}
cpu() { cut -d' ' -f2 "$tmp/last_time"; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.4f", b / s / 1e6 }'; }

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
    echo "| run | shards | wall s | input MB/s (wall) | CPU s | MB per CPU s | load before | identical |"
    echo "|---|---|---|---|---|---|---|---|"
    # threads: one shard (the default 64M), so both threads share all segments
    mkdir -p "$tmp"/t1 "$tmp"/t2 "$tmp"/np1 "$tmp"/np2 "$tmp"/t8
    l=$(cut -d' ' -f1 /proc/loadavg)
    s=$(timed "$eiw" tokenize -q -T 1 -o "$tmp/t1/dev" "${files[@]}")
    n=$(manifest "$tmp/t1/dev" shard_count)
    echo "| 1 thread | $n | $s | $(rate "$bytes" "$s") | $(cpu) | $(rate "$bytes" "$(cpu)") | $l | |"
    l=$(cut -d' ' -f1 /proc/loadavg)
    s=$(timed "$eiw" tokenize -q -T 2 -o "$tmp/t2/dev" "${files[@]}")
    same_dir "$tmp/t1" "$tmp/t2" && id=yes || id=NO
    echo "| 2 threads | $n | $s | $(rate "$bytes" "$s") | $(cpu) | $(rate "$bytes" "$(cpu)") | $l | $id (vs 1 thread) |"
    # MPI ranks, 1 thread each: 128K shards, each to the least-loaded rank
    l=$(cut -d' ' -f1 /proc/loadavg)
    s=$(timed mpirun -np 1 "$mpi_eiw" tokenize -q -T 1 --shard-size 128K -o "$tmp/np1/dev" "${files[@]}")
    n=$(manifest "$tmp/np1/dev" shard_count)
    echo "| 1 MPI rank x 1 thread | $n | $s | $(rate "$bytes" "$s") | $(cpu) | $(rate "$bytes" "$(cpu)") | $l | |"
    l=$(cut -d' ' -f1 /proc/loadavg)
    s=$(timed mpirun -np 2 "$mpi_eiw" tokenize -q -T 1 --shard-size 128K -o "$tmp/np2/dev" "${files[@]}")
    same_dir "$tmp/np1" "$tmp/np2" && id=yes || id=NO
    echo "| 2 MPI ranks x 1 thread | $n | $s | $(rate "$bytes" "$s") | $(cpu) | $(rate "$bytes" "$(cpu)") | $l | $id (vs 1 rank) |"
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
    echo "detokenize of the 2-rank output restores the dev split: $rt; 8-bit token run: $s5 s wall, $(cpu) s CPU (2 threads)"
    ;;
identity)
    mapfile -t files < <(split_files train)
    bytes=$(cat "${files[@]}" | wc -c)
    echo "train split with order1: ${#files[@]} files, $bytes bytes, --shard-size 1M"
    mkdir -p "$tmp"/t1 "$tmp"/t2 "$tmp"/np1 "$tmp"/np2
    s1="$(timed "$eiw" tokenize -q -T 1 --model order1 --shard-size 1M -o "$tmp/t1/train" "${files[@]}") s ($(cpu) CPU)"
    s2="$(timed "$eiw" tokenize -q -T 2 --model order1 --shard-size 1M -o "$tmp/t2/train" "${files[@]}") s ($(cpu) CPU)"
    s3="$(timed mpirun -np 1 "$mpi_eiw" tokenize -q -T 1 --model order1 --shard-size 1M -o "$tmp/np1/train" "${files[@]}") s ($(cpu) CPU)"
    s4="$(timed mpirun -np 2 "$mpi_eiw" tokenize -q -T 1 --model order1 --shard-size 1M -o "$tmp/np2/train" "${files[@]}") s ($(cpu) CPU)"
    r="identical"
    for d in t2 np1 np2; do same_dir "$tmp/t1" "$tmp/$d" || r="DIFFERENT ($d)"; done
    "$eiw" detokenize -q -o "$tmp/back.txt" "$tmp/np2/train"
    cat "${files[@]}" | cmp -s - "$tmp/back.txt" && rt=yes || rt=NO
    echo "| 1 thread | 2 threads | 1 rank | 2 ranks | files | outputs | detokenize = input |"
    echo "|---|---|---|---|---|---|---|"
    echo "| $s1 | $s2 | $s3 | $s4 | $(ls "$tmp/t1" | wc -l) | $r | $rt |"
    ;;
train)
    mapfile -t files < <(split_files train)
    bytes=$(cat "${files[@]}" | wc -c)
    echo "train split with M1: ${#files[@]} files, $bytes bytes, 2 threads, --shard-size 4M"
    mkdir -p "$tmp/m1"
    l=$(cut -d' ' -f1 /proc/loadavg)
    s=$(timed "$eiw" tokenize -v -T 2 --shard-size 4M -o "$tmp/m1/train" "${files[@]}")
    c=$(cpu)
    d=$(timed "$eiw" detokenize -q -T 2 -o "$tmp/back.txt" "$tmp/m1/train")
    cat "${files[@]}" | cmp -s - "$tmp/back.txt" && rt=yes || rt=NO
    "$eiw" inspect "$tmp/m1/train"
    echo
    echo "| input bytes | tokens | tokenize wall s | input MB/s (wall) | CPU s | load before | detokenize wall s | detokenize = input |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| $bytes | $(manifest "$tmp/m1/train" tokens) | $s | $(rate "$bytes" "$s") | $c | $l | $d | $rt |"
    ;;
train-mpi)
    # the same as `train` on 2 MPI ranks x 1 thread; compares with the files of a `train` run
    # left in $EIW_BENCH_REF (e.g. EIW_BENCH_REF=/tmp/eiw-bench-train/m1)
    ref=${EIW_BENCH_REF:?set EIW_BENCH_REF to the m1 directory of a train run}
    mapfile -t files < <(split_files train)
    bytes=$(cat "${files[@]}" | wc -c)
    echo "train split with M1: ${#files[@]} files, $bytes bytes, 2 MPI ranks x 1 thread, --shard-size 4M"
    mkdir -p "$tmp/np2"
    l=$(cut -d' ' -f1 /proc/loadavg)
    s=$(timed mpirun -np 2 "$mpi_eiw" tokenize -q -T 1 --shard-size 4M -o "$tmp/np2/train" "${files[@]}")
    same_dir "$ref" "$tmp/np2" && id=identical || id=DIFFERENT
    echo "| input bytes | wall s | input MB/s (wall) | CPU s | load before | vs the 2-thread run |"
    echo "|---|---|---|---|---|---|"
    echo "| $bytes | $s | $(rate "$bytes" "$s") | $(cpu) | $l | $id |"
    ;;
*)
    echo "usage: bench/tokenize.sh dev|identity|train|train-mpi" >&2
    exit 2
    ;;
esac
