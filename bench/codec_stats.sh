#!/bin/sh
# Coder overhead and Equal-Info Window statistics (needs ../shared/corpora for the default
# files: the dev split).
# Usage: bench/codec_stats.sh [--window-end RULE[,RULE...]] [MODEL|FILE.eiwm] [FILE...]
#        (default: the default M1, the tight end, every dev file). Run from the root.
set -e
cd "$(dirname "$0")/.."
ends=""
if [ "${1:-}" = --window-end ]; then ends="--window-end $2"; shift 2; fi
model=${1:-m1}
[ $# -gt 0 ] && shift
corp=${EIW_CORPORA:-../shared/corpora}
if [ $# -eq 0 ]; then
    [ -d "$corp" ] || { echo "codec_stats: $corp not found" >&2; exit 1; }
    set -- $(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
fi
make -s libeiw.a
mkdir -p build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/codec_stats.c libeiw.a $(pkg-config --libs libzstd libxxhash openblas) \
   -fopenmp -lm -o build/codec_stats
echo "# $(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# files: $(for f in "$@"; do basename "$f"; done | paste -sd' ')"
build/codec_stats $ends "$model" "$@"
