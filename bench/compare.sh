#!/bin/sh
# eiw next to classic compressors on the same files, in one run (the machine is noisy: every
# tool runs on the same files back to back). For each tool: bits/byte per file, their mean, the
# aggregate, and compress / decompress speed (wall clock, whole set, MB = 10^6 bytes); every
# round trip is checked. Writes OUT.md (Markdown table), OUT.tsv and, with gnuplot, OUT.png
# (bits/byte against compression speed).
# usage: bench/compare.sh [--model NAME|FILE] [--also LABEL=NAME|FILE]... [--modes l1,l6,...]
#                         [--row 'LABEL=OPTIONS']... [--out PREFIX] [--dev | FILE...]
#   --also: a further model in the same run, its rows named LABEL-MODE (e.g. --also
#   v2=m1v2.eiwm gives v2-l6, v2-stream, ...; the levels without a model, l1-l5, are not repeated)
#   --row: one more eiw row named LABEL, compressing with OPTIONS (e.g. 'mix1-l6=-6 --mixing 1')
#   modes: lN = level N (-N), stream = the model alone in stream mode (-0), a number = Equal-Info
#   windows of that many bits. Default modes l1,l6,stream.
#   default files: the dev prose files of ../shared/corpora (alice29, asyoulik, lcet10, plrabn12,
#   tom sawyer); --dev: the whole dev split (corpora/dev.txt); default PREFIX
#   bench/results/compare. brotli and zpaq are used when installed.
set -eu
cd "$(dirname "$0")/.."
model=""
also=""
rows=""
modes="l1,l6,stream"
dev=0
out=bench/results/compare
while [ $# -gt 0 ]; do
    case "$1" in
    --model) model="--model $2"; shift 2 ;;
    --also) also="$also $2"; shift 2 ;;
    --row) rows="$rows
$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --dev) dev=1; shift ;;
    *) break ;;
    esac
done
corp=${EIW_CORPORA:-../shared/corpora}
if [ $# -eq 0 ] && [ $dev = 1 ]; then
    set -- $(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
elif [ $# -eq 0 ]; then
    set -- $corp/canterbury/alice29.txt $corp/canterbury/asyoulik.txt $corp/canterbury/lcet10.txt \
        $corp/canterbury/plrabn12.txt $corp/gutenberg/pg74_tom_sawyer.txt
fi
abs=""
for f in "$@"; do abs="$abs $(realpath "$f")"; done
set -- $abs
[ -x ./eiw ] || make -s eiw
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
now() { date +%s.%N; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# tool list: name, compress command, decompress command (stdin -> stdout)
tools="gzip-9|gzip -9c|gzip -dc
bzip2-9|bzip2 -9c|bzip2 -dc
xz-9e|xz -9e -c|xz -dc
zstd-19|zstd -19 -q -c|zstd -dq -c"
command -v brotli >/dev/null && tools="$tools
brotli-11|brotli -q 11 -c|brotli -dc"
command -v zpaq >/dev/null && tools="$tools
zpaq-m5|ZPAQ|ZPAQ"
for m in $(echo "$modes" | tr , ' '); do
    case "$m" in
    stream) opt="-0 --stream" ;;
    l*) opt="-${m#l}" ;;
    *) opt="--window-bits $m" ;;
    esac
    case "$m" in l1|l2|l3|l4|l5) mopt="" ;; *) mopt="$model" ;; esac
    tools="$tools
eiw-$m|./eiw -c -q $mopt $opt|./eiw -dc -q $mopt"
done
for a in $also; do
    label=${a%%=*} am=${a#*=}
    for m in $(echo "$modes" | tr , ' '); do
        case "$m" in
        l1|l2|l3|l4|l5) continue ;;
        stream) opt="-0 --stream" ;;
        l*) opt="-${m#l}" ;;
        *) opt="--window-bits $m" ;;
        esac
        tools="$tools
$label-$m|./eiw -c -q --model $am $opt|./eiw -dc -q --model $am"
    done
done

if [ -n "$rows" ]; then
    tools="$tools$(echo "$rows" | while IFS= read -r r; do
        [ -n "$r" ] && printf '\n%s|./eiw -c -q %s|./eiw -dc -q' "${r%%=*}" "${r#*=}"
    done)"
fi

run_tool() {   # $1 compress or decompress command, $2 input, $3 output
    if [ "$1" = ZPAQ ]; then
        return 1
    fi
    sh -c "$1" < "$2" > "$3"
}

printf "tool\tfile\tbytes\tcompressed\tctime\tdtime\n" > "$tmp/raw.tsv"
echo "$tools" | while IFS='|' read -r name c d; do
    for f in "$@"; do
        n=$(wc -c < "$f")
        if [ "$c" = ZPAQ ]; then     # zpaq works on archives, not streams
            rm -f "$tmp/z.zpaq"
            t0=$(now); (cd "$tmp" && zpaq a z.zpaq "$f" -m5 >/dev/null 2>&1); t1=$(now)
            size=$(wc -c < "$tmp/z.zpaq")
            rm -rf "$tmp/x"; mkdir "$tmp/x"
            t2=$(now); (cd "$tmp/x" && zpaq x ../z.zpaq -to out >/dev/null 2>&1); t3=$(now)
            back=$(find "$tmp/x/out" -type f | head -1)
        else
            t0=$(now); sh -c "$c" < "$f" > "$tmp/c"; t1=$(now)
            size=$(wc -c < "$tmp/c")
            t2=$(now); sh -c "$d" < "$tmp/c" > "$tmp/d"; t3=$(now)
            back="$tmp/d"
        fi
        cmp -s "$f" "$back" || { echo "compare: round trip failed: $name $f" >&2; exit 1; }
        printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$name" "$(basename "$f")" "$n" "$size" \
            "$(echo "$t1 $t0" | awk '{ print $1 - $2 }')" "$(echo "$t3 $t2" | awk '{ print $1 - $2 }')" \
            >> "$tmp/raw.tsv"
    done
done

mkdir -p "$(dirname "$out")"
cp "$tmp/raw.tsv" "$out.tsv"
files=$(for f in "$@"; do basename "$f"; done)
{
    echo "# eiw vs classic compressors ($(date -u +%F), $(uname -m), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
    echo
    echo "eiw $(git rev-parse --short HEAD 2>/dev/null || echo '?'), model: $(echo "${model:-default (embedded M1)}" | sed 's/--model //')$(for a in $also; do printf '; %s: %s' "${a%%=*}" "${a#*=}"; done)$(echo "$rows" | while IFS= read -r r; do [ -n "$r" ] && printf '; %s: `%s`' "${r%%=*}" "${r#*=}"; done); eiw uses $(nproc) threads, the others their defaults. Load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Modes: eiw-lN = level N; eiw-stream = the model alone (-0, format 1); eiw-NN = Equal-Info windows of NN bits."
    echo "Speeds are wall clock over the whole set (MB = 10^6 bytes), including process start."
    echo
    printf "| tool |"
    for f in $files; do printf " %s |" "$f"; done
    printf " mean bits/byte | aggregate bits/byte | compress MB/s | decompress MB/s |\n|---|"
    for f in $files; do printf -- "---|"; done
    printf -- "---|---|---|---|\n"
    awk -F'\t' -v files="$files" '
        NR > 1 { key = $1 SUBSEP $2; bpb[key] = 8 * $4 / $3; n[$1] += $3; c[$1] += $4
                 ct[$1] += $5; dt[$1] += $6; sum[$1] += 8 * $4 / $3; cnt[$1]++
                 if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
        END {
            nf = split(files, fl, " ")
            for (i = 1; i <= k; i++) {
                t = order[i]; printf "| %s |", t
                for (j = 1; j <= nf; j++) printf " %.3f |", bpb[t SUBSEP fl[j]]
                printf " %.3f | %.3f | %.3f | %.3f |\n", sum[t] / cnt[t], 8 * c[t] / n[t],
                       n[t] / ct[t] / 1e6, n[t] / dt[t] / 1e6
                printf "%s\t%.4f\t%.6f\t%.6f\n", t, 8 * c[t] / n[t], n[t] / ct[t] / 1e6,
                       n[t] / dt[t] / 1e6 > "'"$tmp"'/plot.dat"
            }
        }' "$tmp/raw.tsv"
} > "$out.md"
cat "$out.md"
bench/plot_compare.sh "$out"
