#!/bin/sh
# CPU seconds of the default level at one thread for several builds (the steps of a piece of
# speed work), in interleaved rounds so that a noisy machine slows them alike; medians.
# Every build must write the same compressed file (a speed step must not change the format).
# usage: bench/cpu_steps.sh [--rounds N] [--file FILE] NAME=EIW_BINARY...
#   default FILE: the first 200,000 bytes of lcet10.txt
# Prints a Markdown table: per build, compress and decompress CPU seconds (user + sys) and
# CPU seconds per MB.
set -eu
cd "$(dirname "$0")/.."
rounds=3
file=""
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --file) file=$(realpath "$2"); shift 2 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: bench/cpu_steps.sh [--rounds N] [--file FILE] NAME=EIW..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ -z "$file" ]; then
    head -c 200000 "${EIW_CORPORA:-../shared/corpora}/canterbury/lcet10.txt" > "$tmp/in"
    file=$tmp/in
fi
n=$(wc -c < "$file")
load0=$(cut -d' ' -f1-3 /proc/loadavg)
cpu() {   # KIND NAME CMD...: appends "NAME KIND cpu_seconds"
    kind=$1 name=$2
    shift 2
    /usr/bin/time -o "$tmp/t" -f "%U %S" "$@"
    echo "$name $kind $(awk '{ print $1 + $2 }' "$tmp/t")" >> "$tmp/raw"
}
: > "$tmp/raw"
for r in $(seq "$rounds"); do
    for nb in "$@"; do
        name=${nb%%=*} bin=$(realpath "${nb#*=}")
        cpu compress "$name" sh -c "'$bin' -6 -c -q --threads 1 '$file' > '$tmp/$name.eiw'"
        cpu decompress "$name" sh -c "'$bin' -d -c -q --threads 1 '$tmp/$name.eiw' > '$tmp/out'"
        cmp -s "$file" "$tmp/out" || { echo "cpu_steps: $name round trip failed" >&2; exit 1; }
        first=${1%%=*}
        cmp -s "$tmp/$first.eiw" "$tmp/$name.eiw" ||
            { echo "cpu_steps: $name wrote another file than $first" >&2; exit 1; }
    done
done
echo "One thread, eiw -6, $(basename "$file") ($n bytes); medians of $rounds interleaved rounds ($(date -u +%F), load before $load0, after $(cut -d' ' -f1-3 /proc/loadavg))."
echo
echo "| build | compress CPU s | decompress CPU s | compress CPU s/MB | decompress CPU s/MB | runs (c / d) |"
echo "|---|---|---|---|---|---|"
med() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for nb in "$@"; do
    name=${nb%%=*}
    c=$(awk -v n="$name" '$1 == n && $2 == "compress" { printf "%s ", $3 }' "$tmp/raw")
    d=$(awk -v n="$name" '$1 == n && $2 == "decompress" { printf "%s ", $3 }' "$tmp/raw")
    mc=$(echo "$c" | med) md=$(echo "$d" | med)
    echo "| $name | $mc | $md | $(echo "$mc $n" | awk '{ printf "%.2f", $1 / ($2 / 1e6) }') | $(echo "$md $n" | awk '{ printf "%.2f", $1 / ($2 / 1e6) }') | $c/ $d|"
done
