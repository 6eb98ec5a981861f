#!/bin/sh
# Regenerates the frozen golden files in tests/golden from tests/golden/original.txt.
# Only for a DELIBERATE format change (with a new format version): the golden tests exist to
# catch accidental ones. Usage: scripts/make_golden.sh [PATH/TO/eiw]   (default ./eiw)
# Each golden file holds a prefix of original.txt (its length is in the header): the 16-bit
# windows file uses a short one, because on longer blocks zstd beats order-1 coding in 16-bit
# windows and the file would not exercise the windows coder at all.
set -eu
eiw=${1:-./eiw}
case $eiw in /*) ;; *) eiw=$(pwd)/$eiw ;; esac
dir=tests/golden
[ -f "$dir/original.txt" ] || { echo "make_golden.sh: run from the tree root" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eiw-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
head -c 400 "$dir/original.txt" > "$tmp/short.txt"
# 1 KiB blocks: several blocks per file, so that block boundaries are frozen too.
"$eiw" -f -q -0 -B 1K --stream -o "$dir/stream.eiw" "$dir/original.txt"
"$eiw" -f -q -B 1K --window-bits 16 --token-bits 16 --window-end marker \
    -o "$dir/windows_b16_t16.eiw" "$tmp/short.txt"
"$eiw" -f -q -B 1K --window-bits 64 --token-bits 8 --window-end marker \
    -o "$dir/windows_b64_t8.eiw" "$dir/original.txt"
for f in "$dir"/*.eiw; do
    "$eiw" test "$f"
    "$eiw" list "$f" | grep -E 'mode|original size|blocks'
done
