#!/bin/sh
# Regenerates the frozen files of the compression levels, tests/golden/levels/*.eiw, from
# tests/golden/original.txt. Only for a DELIBERATE change of the level coding (it must come
# with a new format version: files written before must keep decoding).
# Usage: scripts/make_golden_levels.sh [PATH/TO/eiw]   (default ./eiw)
set -eu
eiw=${1:-./eiw}
dir=tests/golden
[ -f "$dir/original.txt" ] || { echo "make_golden_levels.sh: run from the tree root" >&2; exit 1; }
mkdir -p "$dir/levels"
# 2 MiB blocks: level 1's default block size when the file was frozen (eiw 0.2)
"$eiw" -f -q -1 -B 2M -o "$dir/levels/level1.eiw" "$dir/original.txt"
# 1 KiB lanes: the 4.6 KB text is coded in 5 interleaved lanes
"$eiw" -f -q -6 --lane-min 1K --model "$dir/tiny_m1.eiwm" -o "$dir/levels/level6_tiny_m1_lanes.eiw" \
    "$dir/original.txt"
"$eiw" -f -q -o "$dir/levels/default.eiw" "$dir/original.txt"
# the default level with the default of eiw 0.2-0.4 (kept built in: its files must decode)
"$eiw" -f -q --model m1-202611 -o "$dir/levels/m1-202611.eiw" "$dir/original.txt"
for f in "$dir"/levels/*.eiw; do
    if [ "$f" = "$dir/levels/level6_tiny_m1_lanes.eiw" ]; then
        "$eiw" test --model "$dir/tiny_m1.eiwm" "$f"
    else
        "$eiw" test "$f"
    fi
    "$eiw" list "$f" | grep -E 'level|model|blocks'
done
