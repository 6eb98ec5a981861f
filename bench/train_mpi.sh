#!/usr/bin/env bash
# Data-parallel training throughput: `eiw train --config CONFIG` as 1 process x 2 threads and as
# 2 MPI ranks x 1 thread (build-mpi/eiw for both), alternating, REPS times each. Prints one
# markdown row per run: training tokens/s (steps x batch x context over the training seconds
# eiw reports, start-up excluded), wall and CPU seconds of the whole command (/usr/bin/time;
# for mpirun its children, the ranks, included), the final loss, and the 1-minute load average
# before the run (the machine is shared).
# usage: bench/train_mpi.sh [steps=100] [reps=2] [config=small]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100} reps=${2:-2} config=${3:-small}
make --no-print-directory MPI=1 >/dev/null
bin=$PWD/build-mpi/eiw
data=../shared/corpora/tinyshakespeare/input.txt   # train split
[ -f "$data" ] || { echo "bench/train_mpi.sh: needs $data" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d /tmp/eiw-bench-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
args=(train --config "$config" --data "$data" --steps "$steps" --log-every "$steps"
      --eval-every 0 --ckpt-every 0 --out "$tmp/out.ckpt")
case $config in   # tokens per step (batch x context) of the named configs, see model/train_options.c
tiny) tokens=$((4 * 32)) ;; small) tokens=$((16 * 128)) ;; m1) tokens=$((32 * 256)) ;;
*) echo "bench/train_mpi.sh: unknown config $config" >&2; exit 2 ;;
esac

run() {   # label command...
    local label=$1
    shift
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" 2> "$tmp/log"
    read -r wall user sys < "$tmp/time"
    local secs loss
    secs=$(sed -n 's/.* steps in [0-9.]* s (\([0-9.]*\) s training.*/\1/p' "$tmp/log")
    loss=$(grep '^step ' "$tmp/log" | tail -n 1 | sed 's/.* loss \([0-9.]*\) bits.*/\1/')
    python3 -c "import sys; t=float('$secs'); print('| %s | %.0f | %.1f | %s | %.1f | %s | %s |' %
        ('$label', $steps * $tokens / t, t, '$wall', $user + $sys, '$loss', '$load'))"
}

echo "| run ($config, $steps steps) | tokens/s | training s | wall s | CPU s (user+sys) | final loss (bits) | load before |"
echo "|---|---|---|---|---|---|---|"
for _ in $(seq "$reps"); do
    run "1 process x 2 threads" "$bin" "${args[@]}" --threads 2
    run "2 ranks x 1 thread" mpirun -np 2 "$bin" "${args[@]}" --threads 1
done
