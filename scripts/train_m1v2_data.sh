#!/bin/sh
# Builds M1 v2's training stream and its dev samples from ../shared/corpora.
#   OUTDIR/train/NN_name[.copyK]  the sources of corpora/m1v2_mixture.txt, each as its text
#                                 ("how" applied), weight W -> W hard links; sha256 and size are
#                                 checked against the list, so the stream is the recipe's or nothing
#   OUTDIR/domains/DOMAIN.txt     dev samples per domain, for the training curve: prose (the five
#                                 prose files), papers (Calgary paper1-6), wikipedia, usenet,
#                                 reuters, python_docs: from each dev file, 32 KiB (64 KiB for the
#                                 single-file domains) taken from its middle (whole if smaller)
#   OUTDIR/dev_sample.txt         all domain samples, for the trainer's own end-of-run evaluation
# The train files never include a dev file: the list holds train-split paths only, and this
# script refuses any path named in corpora/dev.txt.
# usage: scripts/train_m1v2_data.sh OUTDIR
set -eu
out=${1:?usage: $0 OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
src=${EIW_CORPORA:-$root/../shared/corpora}
list=$root/corpora/m1v2_mixture.txt
[ -d "$src" ] || { echo "$0: $src: no corpora here" >&2; exit 1; }
mkdir -p "$out/train" "$out/domains"

i=0
grep -v '^#' "$list" | while read -r weight how rel sha bytes; do
    [ -n "$rel" ] || continue
    i=$((i + 1))
    if grep -qx "$rel" "$root/corpora/dev.txt"; then
        echo "$0: $rel is in the dev split; refusing to train on it" >&2
        exit 1
    fi
    name=$(printf '%02d_%s' "$i" "$(echo "$rel" | tr '/' '_' | sed 's/\.zst$//')")
    dst=$out/train/$name
    if [ ! -s "$dst" ]; then
        case "$how" in
        zstd) zstd -q -dc "$src/$rel" > "$dst.tmp" ;;
        pg-strip) awk '/^\*\*\* ?START OF/{on=1;next} /^\*\*\* ?END OF/{on=0} on' "$src/$rel" > "$dst.tmp" ;;
        plain) cp "$src/$rel" "$dst.tmp" ;;
        *) echo "$0: $list: unknown 'how' $how for $rel" >&2; exit 1 ;;
        esac
        got=$(sha256sum < "$dst.tmp" | cut -c1-64)
        n=$(wc -c < "$dst.tmp")
        if [ "$got" != "$sha" ] || [ "$n" != "$bytes" ]; then
            echo "$0: $rel: text differs from the recipe (sha256 $got, $n bytes; want $sha, $bytes)" >&2
            rm -f "$dst.tmp"
            exit 1
        fi
        mv "$dst.tmp" "$dst"
    fi
    k=2
    while [ "$k" -le "$weight" ]; do
        [ -e "$dst.copy$k" ] || ln "$dst" "$dst.copy$k"
        k=$((k + 1))
    done
done

# middle slice of a file: N bytes (whole file if smaller)
slice() {
    size=$(wc -c < "$1")
    if [ "$size" -le "$2" ]; then cat "$1"; return; fi
    tail -c +$(( (size - $2) / 2 + 1 )) "$1" | head -c "$2"
}
domain() {   # DOMAIN BYTES FILE...
    d=$1 n=$2
    shift 2
    [ -s "$out/domains/$d.txt" ] && return
    for f in "$@"; do slice "$src/$f" "$n"; done > "$out/domains/$d.txt.tmp"
    mv "$out/domains/$d.txt.tmp" "$out/domains/$d.txt"
}
domain prose 32768 canterbury/alice29.txt canterbury/asyoulik.txt canterbury/lcet10.txt \
    canterbury/plrabn12.txt gutenberg/pg74_tom_sawyer.txt
domain papers 32768 calgary/paper1 calgary/paper2 calgary/paper3 calgary/paper4 calgary/paper5 \
    calgary/paper6
for d in wikipedia usenet reuters python_docs; do
    domain $d 65536 dev-broad/$d.txt
done
cat "$out"/domains/*.txt > "$out/dev_sample.txt"
echo "$out: train $(cat "$out"/train/* | wc -c) bytes in $(ls "$out/train" | wc -l) files," \
     "dev samples $(wc -c < "$out/dev_sample.txt") bytes" >&2
