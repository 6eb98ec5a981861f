#!/usr/bin/env bash
# `mpirun -np 2 eiw train` (data parallel: each rank takes a slice of every batch, gradients
# summed) must follow one process: the same loss at every step and the same validation figures
# up to float summation order, weights within 1e-4; with a batch that 2 does not divide (5) and
# across the patch->token stage switch. Also: a batch smaller than the rank count is a usage
# error; SIGTERM to one rank stops every rank at the same step with a checkpoint (exit 130), and
# resuming it on 2 ranks ends bitwise where the uninterrupted 2-rank run ends, on 1 process
# close to it. Builds with `make MPI=1`. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory MPI=1 >/dev/null
bin=$PWD/build-mpi/eiw
tmp=$(mktemp -d /tmp/eiw-train-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # CI containers run as root
export OMPI_MCA_rmaps_base_oversubscribe=1                          # 2 ranks on any machine
fail() { echo "train_mpi: $*" >&2; exit 1; }

data=tests/data/sample.txt
# tiny model, batch 5: 18 patch-level steps (K=2), then 24 token-level ones
opts=(--config tiny --data "$data" --val "$data" --batch 5 --patch-size 2 --patch-fraction 0.6
      --steps 60 --warmup 4 --log-every 1 --eval-every 20 --ckpt-every 15 --seed 7)

# losses and validation lines of two logs, step by step: relative difference <= 1e-4 (plus one
# unit of the 4 printed decimals); prints the largest difference
compare_logs() {
    python3 - "$1" "$2" <<'EOF'
import re, sys
def figures(path):
    out = []
    for line in open(path):
        m = re.match(r"step (\d+)/\d+ s\d loss ([0-9.]+) bits", line)
        if m:
            out.append(("step " + m.group(1), float(m.group(2))))
        m = re.match(r"val step (\d+): ([0-9.]+) bits/token", line)
        if m:
            out.append(("val " + m.group(1), float(m.group(2))))
    return out
a, b = figures(sys.argv[1]), figures(sys.argv[2])
if len(a) < 40 or [k for k, _ in a] != [k for k, _ in b]:
    sys.exit("train_mpi: logs %s and %s do not have the same steps (%d, %d)" % (*sys.argv[1:], len(a), len(b)))
worst = 0.0
for (k, x), (_, y) in zip(a, b):
    d = abs(x - y)
    worst = max(worst, d)
    if d > 1e-4 * abs(x) + 1.01e-4:
        sys.exit("train_mpi: %s: %.4f bits with 1 process, %.4f with 2 ranks" % (k, x, y))
print("%d figures, max difference %.4f bits" % (len(a), worst))
EOF
}

# largest absolute difference between the weights of two checkpoints (docs/checkpoint.md)
weight_diff() {
    python3 - "$1" "$2" <<'EOF'
import array, struct, sys
def weights(path):
    raw = open(path, "rb").read()
    n = struct.unpack_from("<Q", raw, 40)[0]
    w = array.array("f")
    w.frombytes(raw[192:192 + 4 * n])
    if sys.byteorder != "little":
        w.byteswap()
    return w
a, b = weights(sys.argv[1]), weights(sys.argv[2])
assert len(a) == len(b) and len(a) > 1000
print("%.3g" % max(abs(x - y) for x, y in zip(a, b)))
EOF
}

# 1. one process (2 threads) vs 2 ranks (1 thread each)
"$bin" train "${opts[@]}" --threads 2 --out "$tmp/np1.ckpt" 2> "$tmp/np1.log" ||
    { cat "$tmp/np1.log" >&2; fail "1 process failed"; }
mpirun -np 2 "$bin" train "${opts[@]}" --threads 1 --out "$tmp/np2.ckpt" 2> "$tmp/np2.log" ||
    { cat "$tmp/np2.log" >&2; fail "2 ranks failed"; }
grep -q "data parallel: 2 MPI ranks" "$tmp/np2.log" || fail "2 ranks did not train data-parallel"
[ "$(grep -c '^step 1/' "$tmp/np2.log")" = 1 ] || fail "progress printed by more than rank 0"
curve=$(compare_logs "$tmp/np1.log" "$tmp/np2.log")
dw=$(weight_diff "$tmp/np1.ckpt" "$tmp/np2.ckpt")
python3 -c "import sys; sys.exit(0 if float('$dw') <= 1e-4 else 1)" ||
    fail "weights after 42 steps differ by $dw between 1 process and 2 ranks"
echo "train_mpi: 1 process = 2 ranks (batch 5, patch stage): $curve; weights within $dw"

# 2. more ranks than samples: a usage error, said once
set +e
mpirun -np 2 "$bin" train "${opts[@]}" --batch 1 --out "$tmp/b1.ckpt" 2> "$tmp/b1.log"
rc=$?
set -e
[ "$rc" = 2 ] || fail "batch 1 on 2 ranks: exit $rc, want 2"
[ "$(grep -c 'batch 1 is smaller than the 2 MPI ranks' "$tmp/b1.log")" = 1 ] ||
    { cat "$tmp/b1.log" >&2; fail "batch 1 on 2 ranks: no clear error"; }
[ ! -e "$tmp/b1.ckpt" ] || fail "batch 1 on 2 ranks wrote a checkpoint"

# 3. SIGTERM to one rank mid-run, then resume: ends where the uninterrupted run ends
long=(--config tiny --data "$data" --batch 5 --steps 200 --log-every 10 --ckpt-every 0 --seed 3
      --threads 1)
mpirun -np 2 "$bin" train "${long[@]}" --out "$tmp/full.ckpt" 2> "$tmp/full.log" ||
    { cat "$tmp/full.log" >&2; fail "200 steps on 2 ranks failed"; }
mpirun -np 2 "$bin" train "${long[@]}" --out "$tmp/cut.ckpt" 2> "$tmp/cut.log" &
job=$!
for _ in $(seq 600); do
    grep -q '^step 20/' "$tmp/cut.log" && break
    sleep 0.05
done
kill -TERM "$(pgrep -P "$job" | tail -n 1)"   # one rank only: the other must follow
set +e
wait "$job"
rc=$?
set -e
[ "$rc" = 130 ] || { cat "$tmp/cut.log" >&2; fail "interrupted 2-rank run: exit $rc, want 130"; }
cut=$(sed -n 's/^eiw: interrupted at step \([0-9]*\);.*/\1/p' "$tmp/cut.log")
[ -n "$cut" ] && [ "$cut" -lt 200 ] || fail "no interruption message"
cp "$tmp/cut.ckpt" "$tmp/cut1.ckpt"
mpirun -np 2 "$bin" train --data "$data" --resume "$tmp/cut.ckpt" --threads 1 --out "$tmp/cut.ckpt" \
    2> "$tmp/resume.log" || { cat "$tmp/resume.log" >&2; fail "2-rank resume failed"; }
cmp "$tmp/full.ckpt" "$tmp/cut.ckpt" || fail "interrupted at step $cut and resumed on 2 ranks: not the uninterrupted run's checkpoint"
"$bin" train --data "$data" --resume "$tmp/cut1.ckpt" --threads 2 --out "$tmp/cut1.ckpt" \
    2> "$tmp/resume1.log" || { cat "$tmp/resume1.log" >&2; fail "1-process resume failed"; }
dw=$(weight_diff "$tmp/full.ckpt" "$tmp/cut1.ckpt")
python3 -c "import sys; sys.exit(0 if float('$dw') <= 1e-3 else 1)" ||
    fail "2-rank checkpoint resumed on 1 process: weights differ by $dw"
echo "train_mpi: SIGTERM to one rank stopped both at step $cut (exit 130); resumed on 2 ranks = uninterrupted, on 1 process within $dw"
