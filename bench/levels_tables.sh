#!/bin/sh
# The tables behind the choice of the compression levels, on the dev split (corpora/dev.txt):
#   ablation  M1 alone, the adaptive models alone, M1 + each group of adaptive models, the full
#             mix: mean bits/byte (ideal code length, bench/cm_tune.c) and the adaptive part's
#             speed on one thread (M1's speed is in bench/results/compare.md);
#   lanes     mean bits/byte against the number of lanes per block at level 6, and the real
#             compress/decompress speed of `eiw -6 --lanes N` on one book;
#   blocks    bits/byte of the adaptive models (level 2) against the block size.
# usage: bench/levels_tables.sh [ablation|lanes|blocks|all]   -> Markdown on stdout
# Needs ../shared/corpora. M1's part is cached under /tmp/eiw_m1cache (first run: minutes).
set -eu
cd "$(dirname "$0")/.."
what=${1:-all}
corp=${EIW_CORPORA:-../shared/corpora}
files=$(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
make -s libeiw.a eiw
mkdir -p build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/cm_tune.c libeiw.a \
   $(pkg-config --libs libzstd libxxhash openblas) -fopenmp -lm -o build/cm_tune
mean_of() { tail -1 | awk '{ print $2 }'; }
speed_of() { tail -1 | sed 's/.*part: \([0-9.]*\) MB.*/\1/'; }

echo "# Compression levels: ablation, lanes, block size ($(date -u +%F), eiw $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
if [ "$what" = ablation ] || [ "$what" = all ]; then
    echo "## Ablation (dev split, 15 files, mean bits/byte; lanes as the default level codes them)"
    echo
    echo "| configuration | mean bits/byte | adaptive part, MB/s (1 thread) |"
    echo "|---|---|---|"
    row() {   # name, cm_tune arguments
        name=$1; shift
        out=$(build/cm_tune "$@" $files)
        printf "| %s | %s | %s |\n" "$name" "$(echo "$out" | mean_of)" "$(echo "$out" | speed_of)"
    }
    row "M1 alone (its binary decisions, no mixing)" 0
    row "adaptive models alone, fast (level 1)" 1
    row "adaptive models alone, full (level 2)" 2
    row "M1 + match model" 6 -c 0 -m 1
    row "M1 + orders 1-7" 6 -c 7f -m 0
    row "M1 + orders 1-7 + word contexts" 6 -c 1ff -m 0
    row "M1 + orders + words + match" 6 -c 1ff -m 1
    row "M1 + all (+ sparse, column): level 6" 6
    echo
fi
if [ "$what" = lanes ] || [ "$what" = all ]; then
    book=$corp/gutenberg/pg74_tom_sawyer.txt
    n=$(wc -c < "$book")
    prose="$corp/canterbury/alice29.txt $corp/canterbury/asyoulik.txt $corp/canterbury/lcet10.txt $corp/canterbury/plrabn12.txt $book"
    echo "## Lanes per block (level 6; lanes of at least 16 KiB)"
    echo
    echo "Bits/byte: mean of the five dev prose files (ideal code length). Speed: \`eiw -6 --lanes N\` on $(basename "$book") ($n bytes), $(nproc) threads, wall clock."
    echo
    echo "| lanes | mean bits/byte | compress KB/s | decompress KB/s |"
    echo "|---|---|---|---|"
    for l in 1 2 4 8 16; do
        bpb=$(build/cm_tune 6 -l $l $prose | mean_of)
        t0=$(date +%s.%N); ./eiw -q -6 --lanes $l -c "$book" > /tmp/eiw_lanes.eiw; t1=$(date +%s.%N)
        ./eiw -q -dc /tmp/eiw_lanes.eiw > /tmp/eiw_lanes.out; t2=$(date +%s.%N)
        cmp -s "$book" /tmp/eiw_lanes.out || { echo "round trip failed" >&2; exit 1; }
        echo "$l $bpb $t0 $t1 $t2 $n" | awk '{ printf "| %d | %s | %.1f | %.1f |\n", $1, $2, $6 / ($4 - $3) / 1e3, $6 / ($5 - $4) / 1e3 }'
    done
    rm -f /tmp/eiw_lanes.eiw /tmp/eiw_lanes.out
    echo
fi
if [ "$what" = blocks ] || [ "$what" = all ]; then
    echo "## Block size (level 2, the adaptive models alone; aggregate bits/byte of the dev split)"
    echo
    echo "| block size | aggregate bits/byte |"
    echo "|---|---|"
    for b in 64K 256K 1M 16M; do
        total=0; comp=0
        for f in $files; do
            c=$(./eiw -q -2 -B $b -c "$f" | wc -c)
            total=$((total + $(wc -c < "$f"))); comp=$((comp + c))
        done
        echo "$b $comp $total" | awk '{ printf "| %s | %.4f |\n", $1, 8 * $2 / $3 }'
    done
    echo
fi
