#!/bin/sh
# Tuning aid for the compression levels: ideal bits/byte of a level on the dev split (or FILES),
# with the M1 part cached per file (bench/cm_tune.c).
# Usage: bench/cm_tune.sh LEVEL [-l LANES] [-r REVISION] [FILE...]
set -e
corp=${EIW_CORPORA:-../shared/corpora}
make -s libeiw.a
mkdir -p build
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. bench/cm_tune.c libeiw.a \
   $(pkg-config --libs libzstd libxxhash openblas) -fopenmp -lm -o build/cm_tune
level=$1; shift
args=""
while [ "${1:-}" = "-l" ] || [ "${1:-}" = "-r" ]; do args="$args $1 $2"; shift 2; done
if [ $# -eq 0 ]; then
    set -- $(grep -v '^#' corpora/dev.txt | sed "s|^|$corp/|")
fi
exec build/cm_tune "$level" $args "$@"
