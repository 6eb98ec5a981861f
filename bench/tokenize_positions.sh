#!/bin/sh
# Model positions evaluated per input byte by tokenize's window encoder (bench/tokenize_positions.c)
# and its CPU time, 1 and 2 threads, on the given files or the 1.85 MB part of the dev split that
# bench/results/tokenize.md measured (the dev files but dev-broad/). Each file one document.
# usage: bench/tokenize_positions.sh [-b WINDOW_BITS] [MODEL|FILE.eiwm] [FILE...]   (default m1)
set -eu
cd "$(dirname "$0")/.."
bits=16
if [ "${1:-}" = -b ]; then bits=$2; shift 2; fi
model=${1:-m1}
[ $# -gt 0 ] && shift
corp=${EIW_CORPORA:-../shared/corpora}
if [ $# -eq 0 ]; then
    [ -d "$corp" ] || { echo "tokenize_positions: $corp not found" >&2; exit 1; }
    set -- $(grep -v '^#' corpora/dev.txt | grep -v '^dev-broad/' | sed "s|^|$corp/|")
fi
make -s libeiw.a
mkdir -p build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/tokenize_positions.c libeiw.a \
    $(pkg-config --libs libzstd libxxhash jansson) -fopenmp -lm -o build/tokenize_positions
echo "# $(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load $(cut -d' ' -f1-3 /proc/loadavg), b=$bits"
for t in 1 2; do
    echo
    echo "$t thread(s):"
    /usr/bin/time -f "CPU s (user + sys): %U + %S, wall s: %e" build/tokenize_positions -T "$t" -b "$bits" "$model" "$@"
done
