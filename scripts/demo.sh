#!/bin/sh
# `make demo`: compresses and decompresses a sample text at the default level (M1 mixed with the
# adaptive models), at the fast level 1, then in Equal-Info windows of 128 bits; checks every
# round trip and prints the ratios.
# Usage: scripts/demo.sh [PATH/TO/eiw] [FILE]. Works in a temporary directory; leaves nothing.
set -eu
eiw=${1:-./eiw}
sample=${2:-tests/data/sample.txt}
case $eiw in /*) ;; *) eiw=$(pwd)/$eiw ;; esac
case $sample in /*) ;; *) sample=$(pwd)/$sample ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eiw-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$sample" "$tmp/sample.txt"
cd "$tmp"

echo "== eiw $("$eiw" --version | cut -d' ' -f2): demo on $(basename "$sample") ($(wc -c < sample.txt) bytes)"
echo "-- default level 6 (M1 + online context mixing): eiw -v sample.txt"
"$eiw" -v sample.txt
mv sample.txt original.txt
"$eiw" -d sample.txt.eiw
cmp sample.txt original.txt
echo "   decompressed with 'eiw -d sample.txt.eiw': identical to the original"
"$eiw" list sample.txt.eiw

echo "-- level 1 (adaptive models only, fast): eiw -1 -v -o fast.eiw"
"$eiw" -1 -v -o fast.eiw original.txt
"$eiw" -dc fast.eiw | cmp - original.txt
echo "   round trip through 'eiw -dc fast.eiw': identical"

echo "-- Equal-Info windows: eiw -v --window-bits 128 --token-bits 8 -o windows.eiw"
"$eiw" -v --window-bits 128 --token-bits 8 -o windows.eiw original.txt
"$eiw" -dc windows.eiw | cmp - original.txt
echo "   round trip through 'eiw -dc windows.eiw': identical"
# Each block keeps the smallest of model / zstd / stored; the listing says which won.
"$eiw" list windows.eiw | grep -E 'mode|blocks|windows  '
echo "== demo OK"
