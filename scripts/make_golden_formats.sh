#!/bin/sh
# Regenerates the frozen files of the other formats (tests/golden/formats/, checked by
# tests/test_golden_formats.c; the compatibility promise is docs/compatibility.md):
#   tiny.ckpt          a training checkpoint with AdamW moments (eiw train, a tiny byte model)
#   tiny_weights.ckpt  the same weights without training state
#   tiny.eiwm          its export (eiw export): the integer model file
#   docs.jsonl + ds.json, ds-00000.{bin,idx,eiwd}: eiw tokenize output (order1, 16-bit windows)
# Only for a DELIBERATE format change: the files exist to catch accidental ones.
set -eu
cd "$(dirname "$0")/.."
eiw=${1:-./eiw}
dir=tests/golden/formats
"$eiw" train --config tiny --vocab 257 --bos 256 --context 16 --d-model 16 --heads 4 \
    --layers 1 --d-ff 16 --batch 8 --steps 600 --seed 5 --threads 1 \
    --data tests/golden/original.txt --out "$dir/tiny.ckpt" 2>/dev/null
make -s build/ckpt_weights_only
build/ckpt_weights_only "$dir/tiny.ckpt" "$dir/tiny_weights.ckpt"
"$eiw" export "$dir/tiny.ckpt" -o "$dir/tiny.eiwm" --name golden-tiny -f
"$eiw" -q -f -0 -B 1K --model "$dir/tiny.eiwm" -o "$dir/tiny_model.eiw" tests/data/sample.txt
rm -f "$dir"/ds.json "$dir"/ds-*
(cd "$dir" && "../../../$eiw" tokenize -q --model order1 --window-bits 16 --token-bits 16 \
    -o ds docs.jsonl)
ls -l "$dir"
