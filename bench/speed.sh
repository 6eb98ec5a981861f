#!/bin/sh
# Speed of the default level and of `eiw tokenize` (issue 15), with the anchors in the same run:
# every round interleaves the tools on the same input, so a noisy machine slows them alike.
# Reports medians over the rounds (wall clock, KB = 1000 bytes per second), with the date, the
# commit and the load before and after. Every round trip is checked.
#   eiw -6: compress and decompress FILE (default: lcet10.txt, book-length English), all cores
#   eiw tokenize: 16-bit windows, 8-bit tokens, all cores, on the dev split
#   anchors: xz -9e and zpaq -m5 (when installed) on FILE
# usage: bench/speed.sh [--rounds N] [--base EIW] [--no-tokenize] [FILE]
#   --base EIW: another eiw binary (e.g. an older build) timed in the same rounds: its files
#   must be byte-identical to ./eiw's (a speed change must not change the format).
# Needs ../shared/corpora for the default file and the dev split. Prints a Markdown report.
set -eu
cd "$(dirname "$0")/.."
rounds=3
base=""
tok=1
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --base) base=$(realpath "$2"); shift 2 ;;
    --no-tokenize) tok=0; shift ;;
    *) break ;;
    esac
done
corp=${EIW_CORPORA:-../shared/corpora}
file=$(realpath "${1:-$corp/canterbury/lcet10.txt}")
[ -x ./eiw ] || make -s eiw
eiw=$PWD/eiw
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
now() { date +%s.%N; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
n=$(wc -c < "$file")
dev=$(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
devbytes=$(cat $dev | wc -c)

timed() {   # NAME KIND BYTES CMD...: runs CMD, appends "NAME KIND seconds bytes" to raw
    name=$1 kind=$2 bytes=$3
    shift 3
    t0=$(now)
    "$@"
    t1=$(now)
    echo "$name $kind $(echo "$t1 $t0" | awk '{ print $1 - $2 }') $bytes" >> "$tmp/raw"
}

eiw_round() {   # NAME BINARY
    timed "$1" compress "$n" sh -c "'$2' -6 -c -q '$file' > '$tmp/$1.eiw'"
    timed "$1" decompress "$n" sh -c "'$2' -d -c -q '$tmp/$1.eiw' > '$tmp/$1.out'"
    cmp -s "$file" "$tmp/$1.out" || { echo "speed: $1 round trip failed" >&2; exit 1; }
    if [ $tok = 1 ]; then
        rm -rf "$tmp/tok-$1"
        mkdir -p "$tmp/tok-$1"
        timed "$1" tokenize "$devbytes" "$2" tokenize -q --window-bits 16 --token-bits 8 \
            -o "$tmp/tok-$1/d" $dev
    fi
}

: > "$tmp/raw"
for r in $(seq "$rounds"); do
    eiw_round eiw "$eiw"
    if [ -n "$base" ]; then
        eiw_round base "$base"
        cmp -s "$tmp/eiw.eiw" "$tmp/base.eiw" ||
            { echo "speed: --base wrote a different file" >&2; exit 1; }
        [ $tok = 0 ] || for f in "$tmp"/tok-eiw/*.bin; do
            cmp -s "$f" "$tmp/tok-base/$(basename "$f")" ||
                { echo "speed: --base wrote different shards" >&2; exit 1; }
        done
    fi
    timed xz-9e compress "$n" sh -c "xz -9e -c '$file' > '$tmp/x.xz'"
    timed xz-9e decompress "$n" sh -c "xz -dc '$tmp/x.xz' > '$tmp/x.out'"
    cmp -s "$file" "$tmp/x.out" || { echo "speed: xz round trip failed" >&2; exit 1; }
    if command -v zpaq >/dev/null; then
        rm -rf "$tmp/z.zpaq" "$tmp/zx"
        mkdir "$tmp/zx"
        timed zpaq-m5 compress "$n" sh -c "cd '$tmp' && zpaq a z.zpaq '$file' -m5 >/dev/null 2>&1"
        timed zpaq-m5 decompress "$n" sh -c "cd '$tmp/zx' && zpaq x ../z.zpaq -to out >/dev/null 2>&1"
        cmp -s "$file" "$(find "$tmp/zx/out" -type f | head -1)" ||
            { echo "speed: zpaq round trip failed" >&2; exit 1; }
    fi
done

echo "# Speed: default level, tokenize, anchors ($(date -u +%F))"
echo
echo "eiw $(git rev-parse --short HEAD 2>/dev/null || echo '?')$([ -n "$base" ] && echo ", base: $base"); $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'). Load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Medians of $rounds rounds, wall clock including process start; KB = 1000 bytes."
echo "compress/decompress: $(basename "$file") ($n bytes), eiw -6 (the default level) with $(nproc) threads."
[ $tok = 0 ] || echo "tokenize: the dev split ($devbytes bytes), --window-bits 16 --token-bits 8, $(nproc) threads."
echo
echo "| tool | what | median s | KB/s | runs (s) |"
echo "|---|---|---|---|---|"
awk '{ k = $1 " " $2; t[k] = t[k] " " $3; b[k] = $4; if (!(k in seen)) { seen[k] = 1; o[++m] = k } }
     END { for (i = 1; i <= m; i++) print o[i] "|" b[o[i]] "|" t[o[i]] }' "$tmp/raw" |
while IFS='|' read -r key bytes times; do
    med=$(echo $times | tr ' ' '\n' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    echo "| ${key% *} | ${key#* } | $(printf %.2f "$med") | $(echo "$bytes $med" | awk '{ printf "%.1f", $1 / $2 / 1000 }') | $(echo $times | awk '{ for (i = 1; i <= NF; i++) printf "%s%.2f", (i > 1 ? " " : ""), $i }') |"
done
