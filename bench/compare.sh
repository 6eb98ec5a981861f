#!/bin/sh
# eiw next to classic compressors on the same files, in one run (the machine is noisy, so only
# sizes are compared here; speeds come from `eiw bench`). Prints bits/byte per file and mode.
# usage: bench/compare.sh [--model NAME|FILE] [--modes stream,16,...] [FILE...]
#        default files: the dev prose files of ../shared/corpora (alice29, asyoulik, lcet10,
#        plrabn12, tom sawyer). Optional compressors (brotli, zpaq) are used when installed.
set -eu
cd "$(dirname "$0")/.."
model=""
modes="stream,16,32,64,128"
while [ $# -gt 0 ]; do
    case "$1" in
    --model) model="--model $2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    *) break ;;
    esac
done
corp=${EIW_CORPORA:-../shared/corpora}
if [ $# -eq 0 ]; then
    set -- $corp/canterbury/alice29.txt $corp/canterbury/asyoulik.txt $corp/canterbury/lcet10.txt \
        $corp/canterbury/plrabn12.txt $corp/gutenberg/pg74_tom_sawyer.txt
fi
[ -x ./eiw ] || make -s eiw
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bpb() { echo "$1 $2" | awk '{ printf "%.3f", 8 * $2 / $1 }'; }
printf "%-22s %9s" file bytes
for c in gzip-9 bzip2-9 xz-9e zstd-19; do printf " %8s" $c; done
command -v brotli >/dev/null && printf " %8s" brotli-11
command -v zpaq >/dev/null && printf " %8s" zpaq-m5
for m in $(echo $modes | tr , ' '); do printf " %8s" "eiw-$m"; done
printf "\n"
for f in "$@"; do
    n=$(wc -c < "$f")
    printf "%-22s %9d" "$(basename "$f")" "$n"
    printf " %8s" "$(bpb $n $(gzip -9c "$f" | wc -c))"
    printf " %8s" "$(bpb $n $(bzip2 -9c "$f" | wc -c))"
    printf " %8s" "$(bpb $n $(xz -9e -c "$f" | wc -c))"
    printf " %8s" "$(bpb $n $(zstd -19 -q -c "$f" | wc -c))"
    command -v brotli >/dev/null && printf " %8s" "$(bpb $n $(brotli -q 11 -c "$f" | wc -c))"
    if command -v zpaq >/dev/null; then
        (cd "$tmp" && rm -f z.zpaq && zpaq a z.zpaq "$f" -m5 >/dev/null 2>&1)
        printf " %8s" "$(bpb $n $(wc -c < "$tmp/z.zpaq"))"
    fi
    for m in $(echo $modes | tr , ' '); do
        if [ "$m" = stream ]; then opt="--stream"; else opt="--window-bits $m"; fi
        ./eiw compress -q -f $model $opt -o "$tmp/x.eiw" "$f"
        ./eiw decompress -q -f $model -o "$tmp/x.out" "$tmp/x.eiw"
        cmp -s "$f" "$tmp/x.out" || { echo "round trip failed: $f $m" >&2; exit 1; }
        printf " %8s" "$(bpb $n $(wc -c < "$tmp/x.eiw"))"
    done
    printf "\n"
done
