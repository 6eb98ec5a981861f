#!/bin/sh
# Builds the byte-level training and dev sets for eiw train from ../shared/corpora, following the
# manifests corpora/train.txt and corpora/dev.txt (never mixes them). Gutenberg files lose their
# licence header and footer. Line ends stay as they are (CRLF in Gutenberg and world192, LF
# elsewhere): a compressor meets both, and a model that never saw a CR codes each at ~24 bits.
# usage: scripts/train_prep_data.sh OUTDIR   -> OUTDIR/train/*, OUTDIR/dev/*
set -eu
out=${1:?usage: $0 OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
src=${EIW_CORPORA:-$root/../shared/corpora}
for split in train dev; do
    mkdir -p "$out/$split"
    grep -v '^#' "$root/corpora/$split.txt" | while read -r rel; do
        [ -n "$rel" ] || continue
        dst="$out/$split/$(echo "$rel" | tr '/' '_')"
        [ -s "$dst" ] && continue
        case "$rel" in
        gutenberg/*)
            awk '/^\*\*\* ?START OF/{on=1;next} /^\*\*\* ?END OF/{on=0} on' "$src/$rel" > "$dst.tmp" ;;
        *)
            cp "$src/$rel" "$dst.tmp" ;;
        esac
        mv "$dst.tmp" "$dst"
    done
done
echo "$out: train $(cat "$out"/train/* | wc -c) bytes, dev $(cat "$out"/dev/* | wc -c) bytes" >&2
