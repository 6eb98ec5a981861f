#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang (installs clang from Debian if missing) and
# runs each for FUZZ_SECONDS (default 60) under nice, starting from the committed seeds
# (tests/fuzz_corpus/<target>/, only read) with new inputs kept in FUZZ_WORK (default
# /tmp/eiw-fuzz/<target>/). Crashes land in FUZZ_WORK as crash-*; a crash found becomes a fix
# and a file in tests/fuzz_corpus/<target>/ (then the ordinary test suite replays it).
# Prints, per target: executions, coverage (libFuzzer's cov: edges) and corpus size.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
work=${FUZZ_WORK:-/tmp/eiw-fuzz}
targets=${FUZZ_TARGETS:-container window model checkpoint shard jsonl manifest}
if ! command -v clang >/dev/null; then
    echo "fuzz: installing clang (libFuzzer comes with it)"
    apt-get install -y clang >/dev/null
fi
scripts/deps.sh
make --no-print-directory EIW_DEPS_DONE=1 FUZZ=1 -j2 fuzz-build
mkdir -p "$work"
status=0
printf '%-11s %10s %8s %8s %8s  %s\n' target execs exec/s cov corpus result >"$work/summary.txt"
for t in $targets; do
    mkdir -p "$work/$t"
    log="$work/$t.log"
    rc=0
    EIW_FUZZ_TINY_MODEL=$PWD/tests/golden/tiny_m1.eiwm nice -n 10 "build-fuzz/fuzz_$t" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
        -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" "tests/fuzz_corpus/$t" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d" " -f2 || true)
    corpus=$(find "$work/$t" -type f | wc -l)
    result=ok
    [ "$rc" = 0 ] || { result="FAILED (rc $rc, see $log)"; status=1; }
    printf '%-11s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "$corpus" "$result" >>"$work/summary.txt"
done
cat "$work/summary.txt"
exit $status
