#!/usr/bin/env bash
# Peak memory (max RSS, /usr/bin/time %M) of compress, decompress and tokenize against input
# size: the program streams (blocks, shards), so the peak must not grow with the input.
#   bench/memory.sh [EIW] [SIZES_FAST] [SIZES_M1]
# SIZES_FAST (default "1M 1G"; "" for none) run with --model order1, SIZES_M1 (default "1M 4M") with the
# default neural M1 (~25 KB/s per core, so its sizes stay small). Inputs are English text from
# ../shared/corpora/gutenberg repeated to size (repeats are farther apart than a block, so every
# block is coded afresh); tokenize cuts them into paragraphs (--delimiter '\r\n\r\n': the
# Gutenberg texts have CRLF line ends). Fixed
# settings: -T 2, default block and shard sizes. Prints a Markdown
# table (bench/results/memory.md keeps one).
set -euo pipefail
cd "$(dirname "$0")/.."
eiw=$(realpath "${1:-./eiw}")
fast=${2-1M 1G}
m1=${3-1M 4M}
src=../shared/corpora/gutenberg
[ -d "$src" ] || { echo "memory.sh: $src is missing" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eiw-memory.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

bytes() { numfmt --from=iec "$1"; }
make_input() {   # size -> $tmp/in-SIZE.txt
    local f=$tmp/in-$1.txt n
    n=$(bytes "$1")
    local reps=$((n / $(cat "$src"/* | wc -c) + 1))
    [ -f "$f" ] || { for _ in $(seq "$reps"); do cat "$src"/*; done | head -c "$n" >"$f" || true; }
    echo "$f"
}
# measure LABEL CMD...: one table row (peak RSS in MiB, wall and user seconds)
measure() {
    local label=$1 t
    shift
    /usr/bin/time -o "$tmp/time" -f '%M %e %U' nice -n 10 "$@" >/dev/null 2>"$tmp/err" ||
        { echo "memory.sh: $label failed: $(cat "$tmp/err")" >&2; exit 1; }
    set -- $(tail -1 "$tmp/time")
    printf '| %s | %.1f | %s | %s |\n' "$label" "$(echo "$1 / 1024" | bc -l)" "$2" "$3"
}

echo "| run | peak RSS (MiB) | wall (s) | user (s) |"
echo "|---|---:|---:|---:|"
run_size() {   # model size
    local model=$1 size=$2 in
    in=$(make_input "$size")
    measure "compress $size, $model" "$eiw" -q -T 2 --model "$model" -f -o "$in.eiw" "$in"
    measure "decompress $size, $model" "$eiw" -q -T 2 -d -f -o "$in.back" "$in.eiw"
    cmp -s "$in" "$in.back" || { echo "memory.sh: $size round trip differs" >&2; exit 1; }
    rm -f "$in.back" "$in.eiw"
    # documents: paragraphs (one text file would be one document, held whole in memory)
    measure "tokenize $size, $model" "$eiw" tokenize -q -T 2 --model "$model" --delimiter '\r\n\r\n' \
        -o "$tmp/ds" "$in"
    rm -f "$tmp"/ds*
}
for s in $fast; do run_size order1 "$s"; done
for s in $m1; do run_size m1 "$s"; done
echo
echo "$("$eiw" --version 2>&1 | head -1), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
