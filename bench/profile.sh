#!/bin/sh
# Where the default level's time goes: perf samples of one-thread compression and decompression
# of FILE (default: the first 200,000 bytes of lcet10.txt), grouped into the model's parts.
# Samples count CPU time (cpu-clock), so a busy machine changes the totals less than wall time.
# usage: bench/profile.sh [--eiw BINARY] [--simd none|avx2|avx512] [--model NAME|FILE] [FILE]
# Prints a Markdown table: per part, the share of samples and the CPU seconds per MB.
set -eu
cd "$(dirname "$0")/.."
eiw=$PWD/eiw
simd=""
model=""
mlabel=""
while [ $# -gt 0 ]; do
    case "$1" in
    --eiw) eiw=$(realpath "$2"); shift 2 ;;
    --simd) simd=$2; shift 2 ;;
    --model) model="--model $2"; mlabel=$2; shift 2 ;;
    *) break ;;
    esac
done
command -v perf >/dev/null || { echo "profile: perf is not installed (apt install linux-perf)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ $# -gt 0 ]; then
    cp "$1" "$tmp/in"
else
    head -c 200000 "${EIW_CORPORA:-../shared/corpora}/canterbury/lcet10.txt" > "$tmp/in"
fi
n=$(wc -c < "$tmp/in")
export EIW_SIMD="$simd"
"$eiw" -6 -c -q --threads 1 $model "$tmp/in" > "$tmp/in.eiw"

# part of a function: by name (the kernels of model/qkernels.c, model/qattention.c, the mixer)
part() {
    awk '{
        f = $NF
        if (f ~ /gemm/) p = "int8 matrix products"
        else if (f ~ /dots|sum|axpy|scores|exp_|normalize|attend|softmax|qval|qkey|qdot8|first_|out_/) p = "attention"
        else if (f ~ /requant|quant8|rmsnorm|scale24|sumsq|residual|relu|q10|logits_to_weights/) p = "elementwise"
        else if (f ~ /mix|bucket|cm_|apm|sse|match/) p = "context mixing"
        else if (f ~ /forward_items/) p = "forward pass (rest)"
        else p = "other"
        s[p] += $1
    } END { for (p in s) printf "%s\t%.2f\n", p, s[p] }'
}

profile() {   # KIND CMD...: samples by part
    kind=$1
    shift
    perf record -q -o "$tmp/perf.data" -- "$@" > /dev/null 2>&1
    total=$(perf report -i "$tmp/perf.data" --stdio -n --sort comm 2>/dev/null |
        awk '/^ +[0-9.]+%/ { s += $2 } END { print s }')
    perf report -i "$tmp/perf.data" --no-children --stdio --sort symbol 2>/dev/null |
        grep -E '^ +[0-9.]+%' | sed 's/%//; s/\[[.k]\] //' | awk '{ print $1, $2 }' |
        part | sort -t"$(printf '\t')" -k2 -rn > "$tmp/$kind.parts"
    echo "$total" > "$tmp/$kind.total"
}

profile compress "$eiw" -6 -c -q --threads 1 $model "$tmp/in"
profile decompress "$eiw" -d -c -q --threads 1 $model "$tmp/in.eiw"

echo "Profile: $("$eiw" --version 2>&1 | head -1), model ${mlabel:-default}, kernel ${simd:-default}; $n bytes, one thread, perf cpu-clock samples ($(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg))."
echo
echo "| part | compress % | compress CPU s/MB | decompress % | decompress CPU s/MB |"
echo "|---|---|---|---|---|"
hz=$(perf report -i "$tmp/perf.data" --header-only 2>/dev/null | sed -n 's/.*sample_freq[^0-9]*\([0-9]*\).*/\1/p' | head -1)
hz=${hz:-4000}
cut -f1 "$tmp/compress.parts" "$tmp/decompress.parts" | sort -u | while read -r p; do
    c=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' "$tmp/compress.parts")
    d=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' "$tmp/decompress.parts")
    echo "$p|${c:-0}|${d:-0}"
done | sort -t'|' -k2 -rn | while IFS='|' read -r p c d; do
    printf "| %s | %.1f | %.2f | %.1f | %.2f |\n" "$p" "$c" \
        "$(echo "$c $(cat "$tmp/compress.total") $hz $n" | awk '{ print $1 / 100 * $2 / $3 / ($4 / 1e6) }')" \
        "$d" "$(echo "$d $(cat "$tmp/decompress.total") $hz $n" | awk '{ print $1 / 100 * $2 / $3 / ($4 / 1e6) }')"
done
printf "| total | 100 | %.2f | 100 | %.2f |\n" \
    "$(echo "$(cat "$tmp/compress.total") $hz $n" | awk '{ print $1 / $2 / ($3 / 1e6) }')" \
    "$(echo "$(cat "$tmp/decompress.total") $hz $n" | awk '{ print $1 / $2 / ($3 / 1e6) }')"
