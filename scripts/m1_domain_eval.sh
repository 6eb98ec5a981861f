#!/bin/sh
# Bits/byte of an M1 checkpoint's float weights on each dev domain sample built by
# scripts/train_m1v2_data.sh (DATADIR/domains/*.txt): windows of 256 bytes from BOS, as
# `eiw train --eval` scores them. Prints one tab-separated line: the domains' bits/byte in the
# order of `ls DATADIR/domains` (with --header: their names instead).
# usage: scripts/m1_domain_eval.sh [--header] CKPT DATADIR [EIW]   (EIW: the program, ./eiw)
set -eu
if [ "${1:-}" = --header ]; then
    ls "$3/domains" | sed 's/\.txt$//' | paste -sd '\t'
    exit 0
fi
ckpt=${1:?usage: $0 [--header] CKPT DATADIR [EIW]}
data=${2:?usage: $0 [--header] CKPT DATADIR [EIW]}
eiw=${3:-./eiw}
row=""
for f in $(ls "$data/domains"); do
    bpb=$($eiw train --eval "$ckpt" --val "$data/domains/$f" --val-tokens 0 \
              --threads "${EIW_THREADS:-2}" | sed -n 's/.*: \([0-9.]*\) bits\/token.*/\1/p')
    [ -n "$bpb" ] || { echo "$0: $ckpt: evaluation on $f failed" >&2; exit 1; }
    row="$row${row:+	}$bpb"
done
echo "$row"
