#!/bin/sh
# Regenerates the golden files made with the default (embedded) M1: tests/golden/default_*.eiw.
# Only when the default model changes deliberately (a new model also gets a new name in
# include/eiw.h, EIW_MODEL_DEFAULT_NAME, so files made with the old one are told apart). The
# files of an earlier default are renamed, not rewritten: tests/golden/m1-202611_*.eiw are
# eiw 0.4's default_*.eiw, and tests/test_golden_m1.c checks them with that model.
set -eu
eiw=${1:-./eiw}
dir=tests/golden
"$eiw" -f -q -0 -B 2K --stream -o "$dir/default_stream.eiw" "$dir/original.txt"
"$eiw" -f -q -B 2K --window-bits 16 --window-end marker -o "$dir/default_windows_b16.eiw" \
    "$dir/original.txt"
"$eiw" -f -q -B 2K --window-bits 16 --window-end implicit \
    -o "$dir/default_windows_b16_implicit.eiw" "$dir/original.txt"
"$eiw" -f -q -B 2K --window-bits 16 -o "$dir/default_windows_b16_tight.eiw" "$dir/original.txt"
for f in "$dir"/default_*.eiw; do
    "$eiw" test "$f"
    "$eiw" list "$f" | grep -E 'mode|model|blocks'
done
