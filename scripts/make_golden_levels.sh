#!/bin/sh
# Regenerates the frozen files of the newest level coding (mixing revision 2, format 5),
# tests/golden/levels/*_r2.eiw, from tests/golden/original.txt. Only for a DELIBERATE change of
# the level coding (it must come with a new format version: files written before must keep
# decoding). The files without _r2 are eiw 0.2-0.5's (revision 1, format 2): frozen for good,
# never regenerated.
# Usage: scripts/make_golden_levels.sh [PATH/TO/eiw]   (default ./eiw)
set -eu
eiw=${1:-./eiw}
dir=tests/golden
[ -f "$dir/original.txt" ] || { echo "make_golden_levels.sh: run from the tree root" >&2; exit 1; }
mkdir -p "$dir/levels"
"$eiw" -f -q -1 -o "$dir/levels/level1_r2.eiw" "$dir/original.txt"
# an adaptive level with every mixer and no model
"$eiw" -f -q -4 -o "$dir/levels/level4_r2.eiw" "$dir/original.txt"
# 1 KiB lanes: the 4.6 KB text is coded in 5 interleaved lanes
"$eiw" -f -q -6 --lane-min 1K --model "$dir/tiny_m1.eiwm" \
    -o "$dir/levels/level6_tiny_m1_lanes_r2.eiw" "$dir/original.txt"
"$eiw" -f -q -o "$dir/levels/default_r2.eiw" "$dir/original.txt"
for f in "$dir"/levels/*.eiw; do
    case "$f" in
    *tiny_m1*) "$eiw" test --model "$dir/tiny_m1.eiwm" "$f" ;;
    *) "$eiw" test "$f" ;;
    esac
    "$eiw" list "$f" | grep -E 'format|level|model|blocks'
done
