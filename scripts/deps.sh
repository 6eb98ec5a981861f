#!/bin/sh
# Installs the Debian packages eiw needs to build and test, only those that are missing.
# Uses sudo when not root. Does nothing when everything is present. MPI=1 (make MPI=1) adds
# OpenMPI for `mpirun -np N eiw tokenize`; QEMU=1 adds qemu-user for the cross-CPU check of CI
# (tests/qemu_cpu_check.sh).
set -e
need=""
# python3 (standard library only) runs tests/megatron_reader.py, the suite's independent
# reader of token shards; jansson reads and writes JSON (JSON Lines input, token manifests)
pkgs="libzstd-dev libxxhash-dev libjansson-dev libcriterion-dev libopenblas-dev pkg-config zstd python3"
[ "${MPI:-}" = 1 ] && pkgs="$pkgs libopenmpi-dev openmpi-bin"
[ "${QEMU:-}" = 1 ] && pkgs="$pkgs qemu-user"
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "eiw: installing missing packages:$need" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq >&2 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >&2
