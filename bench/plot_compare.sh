#!/bin/sh
# Plots a bench/compare.sh result: PREFIX.tsv -> PREFIX.png (aggregate bits/byte against
# compression speed, one point per tool). Needs gnuplot. usage: bench/plot_compare.sh PREFIX
set -eu
out=${1:?usage: bench/plot_compare.sh PREFIX}
command -v gnuplot >/dev/null || { echo "plot_compare: gnuplot not installed, no plot" >&2; exit 0; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT INT TERM
awk -F'\t' 'NR > 1 { n[$1] += $3; c[$1] += $4; ct[$1] += $5
                     if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
            END { for (i = 1; i <= k; i++) { t = order[i]
                  printf "%s\t%.4f\t%.6f\n", t, 8 * c[t] / n[t], n[t] / ct[t] / 1e6 } }' \
    "$out.tsv" > "$dat"
gnuplot <<PLOT
set terminal png size 900,600 noenhanced
set output "$out.png"
set title "bits/byte vs compression speed ($(basename "$out").tsv)"
set xlabel "compression speed, MB/s (log)"
set ylabel "bits/byte (aggregate)"
set logscale x
set grid
set key off
plot "$dat" using 3:2 with points pt 7 ps 1.5, "$dat" using 3:2:1 with labels offset 1,0.8 left
PLOT
echo "plot: $out.png"
