#!/bin/sh
# Equal-Info window end rules side by side (bench/window_rules.c): eiw's tight end (the
# default), eiw 0.3's implicit end, eiw 0.2's marker end and the paper's published rule, same
# model and coder, on the given files or the dev split (each file one document),
# b = 16, 32, 64, 128.
# usage: bench/window_rules.sh [--head BYTES] [MODEL|FILE.eiwm] [FILE...]
#        (default: m1 on corpora/dev.txt; --head: the first BYTES of each file)
set -eu
cd "$(dirname "$0")/.."
head=0
if [ "${1:-}" = --head ]; then head=$2; shift 2; fi
model=${1:-m1}
[ $# -gt 0 ] && shift
corp=${EIW_CORPORA:-../shared/corpora}
if [ $# -eq 0 ]; then
    [ -d "$corp" ] || { echo "window_rules: $corp not found" >&2; exit 1; }
    set -- $(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
fi
make -s libeiw.a
mkdir -p build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/window_rules.c libeiw.a \
    $(pkg-config --libs libzstd libxxhash) -fopenmp -lm -o build/window_rules
if [ "$head" -gt 0 ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT INT TERM
    cut=""
    for f in "$@"; do head -c "$head" "$f" > "$tmp/$(basename "$f")"; cut="$cut $tmp/$(basename "$f")"; done
    set -- $cut
fi
echo "# $(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load $(cut -d' ' -f1-3 /proc/loadavg)"
part=""
[ "$head" -gt 0 ] && part=" (the first $head bytes of each)"
echo "# files: $(for f in "$@"; do basename "$f"; done | paste -sd' ')$part"
build/window_rules "$model" "$@"
