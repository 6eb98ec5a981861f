#!/bin/sh
# Regenerates the frozen neural-model golden files: a tiny byte model (vocab 257, BOS) trained on
# tests/golden/original.txt, exported to tests/golden/tiny_m1.eiwm, and files compressed with it.
# The model file itself is frozen (training is float and may differ between machines); the
# tests check that every build and SIMD path decodes the files and re-encodes them bit for bit.
# Only for a DELIBERATE change of the integer model format or the coder.
set -eu
eiw=${1:-./eiw}
dir=tests/golden
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eiw-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$eiw" train --config tiny --vocab 257 --bos 256 --steps 400 --seed 3 --threads 1 \
    --data "$dir/original.txt" --out "$tmp/tiny.ckpt" 2>/dev/null
"$eiw" export "$tmp/tiny.ckpt" -o "$dir/tiny_m1.eiwm" --name tiny-m1 -f
"$eiw" -f -q -0 -B 1K --model "$dir/tiny_m1.eiwm" --stream -o "$dir/m1_stream.eiw" "$dir/original.txt"
"$eiw" -f -q -B 1K --model "$dir/tiny_m1.eiwm" --window-bits 16 --window-end marker \
    -o "$dir/m1_windows_b16.eiw" "$dir/original.txt"
"$eiw" -f -q -B 1K --model "$dir/tiny_m1.eiwm" --window-bits 16 --window-end implicit \
    -o "$dir/m1_windows_b16_implicit.eiw" "$dir/original.txt"
"$eiw" -f -q -B 1K --model "$dir/tiny_m1.eiwm" --window-bits 16 \
    -o "$dir/m1_windows_b16_tight.eiw" "$dir/original.txt"
for f in "$dir"/m1_*.eiw; do
    "$eiw" test --model "$dir/tiny_m1.eiwm" "$f"
    "$eiw" list "$f" | grep -E 'mode|model|blocks'
done
