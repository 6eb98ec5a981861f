#!/bin/sh
# Cross-CPU exactness of the built ./eiw: runs it under qemu user-mode emulation as a CPU
# without AVX2 (qemu64: scalar kernels) and one with AVX2 but no AVX-512 (Haswell), checks
# that each picks that kernel and refuses EIW_SIMD=avx512, and that a slice of
# tests/data/sample.txt compressed with the default model there, in stream and in windows mode,
# gives the native bytes exactly, and that each side decodes the other's file.
# Needs qemu-x86_64 (installed with QEMU=1 scripts/deps.sh); prints SKIP and exits 0 only when
# it is missing and cannot be installed. Emulation is slow (about 10 ms per byte and run), so
# the slice is QEMU_CHECK_BYTES (default 1024) bytes: about a minute and a half in all.
set -eu
cd "$(dirname "$0")/.."
EIW=${EIW:-./eiw}
BYTES=${QEMU_CHECK_BYTES:-1024}

say() { echo "qemu_cpu_check: $*"; }
fail() {
    say "FAIL: $*" >&2
    exit 1
}

if ! command -v qemu-x86_64 >/dev/null 2>&1; then
    QEMU=1 scripts/deps.sh || true
fi
if ! command -v qemu-x86_64 >/dev/null 2>&1; then
    say "SKIP: qemu-x86_64 is not installed and could not be installed (apt-get install qemu-user)"
    exit 0
fi
[ "$(uname -m)" = x86_64 ] || fail "needs an x86-64 host (this is $(uname -m))"
[ -x "$EIW" ] || fail "$EIW is not built (run make)"

work=$(mktemp -d /tmp/eiw-qemu-XXXXXX)
trap 'rm -rf "$work"' EXIT
unset EIW_SIMD EIW_MODEL   # the default kernel and the default model
head -c "$BYTES" tests/data/sample.txt > "$work/in.txt"

# qemu prints a warning per CPU feature that its TCG cannot emulate (Haswell's TSX, PCID, ...);
# they are noise here, anything else on stderr is kept.
emulate() {
    cpu=$1
    shift
    qemu-x86_64 -cpu "$cpu" "$@" 2> "$work/qemu.err"
    st=$?
    grep -v "TCG doesn't support requested feature" "$work/qemu.err" >&2 || true
    return $st
}

modes="stream windows_b64"
mode_args() {
    case $1 in
    stream) ;;
    windows_b64) echo "--window-bits 64" ;;
    esac
}

say "native: $("$EIW" --version | tail -n 1), $BYTES bytes of tests/data/sample.txt"
for mode in $modes; do
    # shellcheck disable=SC2046
    "$EIW" -c $(mode_args "$mode") "$work/in.txt" > "$work/native.$mode.eiw" ||
        fail "native $mode: compressing failed"
    "$EIW" list "$work/native.$mode.eiw" | grep -q "blocks           1 model," ||
        fail "native $mode: the block is not model-coded"
done

for pair in qemu64:scalar Haswell:avx2; do
    cpu=${pair%%:*}
    want=${pair#*:}
    start=$(date +%s)
    line=$(emulate "$cpu" "$EIW" --version | tail -n 1) || fail "$cpu: eiw --version failed"
    case $line in
    "kernel $want "*) ;;
    *) fail "$cpu: expected kernel $want, eiw says: $line" ;;
    esac
    case $line in
    *avx512*) fail "$cpu: eiw believes this CPU runs AVX-512: $line" ;;
    esac
    if EIW_SIMD=avx512 emulate "$cpu" "$EIW" --version > /dev/null 2> "$work/refused"; then
        fail "$cpu: EIW_SIMD=avx512 was accepted"
    fi
    grep -q "lacks AVX-512" "$work/refused" || fail "$cpu: unexpected refusal: $(cat "$work/refused")"
    for mode in $modes; do
        # shellcheck disable=SC2046
        emulate "$cpu" "$EIW" -c $(mode_args "$mode") "$work/in.txt" > "$work/$cpu.$mode.eiw" ||
            fail "$cpu $mode: compressing failed"
        cmp -s "$work/native.$mode.eiw" "$work/$cpu.$mode.eiw" ||
            fail "$cpu $mode: compressed bytes differ from the native ones"
        emulate "$cpu" "$EIW" -dc "$work/native.$mode.eiw" > "$work/back.txt" ||
            fail "$cpu $mode: decompressing the native file failed"
        cmp -s "$work/in.txt" "$work/back.txt" || fail "$cpu $mode: the native file decodes wrong"
        "$EIW" -dc "$work/$cpu.$mode.eiw" > "$work/back.txt" ||
            fail "$cpu $mode: the native eiw cannot decompress the emulated file"
        cmp -s "$work/in.txt" "$work/back.txt" ||
            fail "$cpu $mode: the emulated file decodes wrong natively"
    done
    say "-cpu $cpu: $line; stream and windows_b64 files identical to native, decoded both ways ($(($(date +%s) - start)) s)"
done
say "passed"
