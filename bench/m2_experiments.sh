#!/bin/sh
# The M2 experiments of issue 6, at a scale this 2-core machine runs in about an hour:
#   learn     learnability: one M2 configuration and one training-FLOPs budget for every kind of
#             data (raw bytes, M1 arithmetic coding without windows, Equal-Info b=16 with 8- and
#             16-bit tokens, b=64 with 8-bit tokens, zstd -19), trained on the Gutenberg books of
#             the train split, evaluated on the whole dev split in bits per original byte
#   patch     patch-level training against token level (L=0) on the same data: K=4 L=2/3, K=4
#             L=1/2, K=2 L=2/3 on Equal-Info b=16 8-bit tokens, K=4 L=2/3 on raw bytes
#   generate  samples from the M2 of Equal-Info b=16 8-bit tokens through M1 (eiw generate)
#   report    writes bench/results/m2.md and m2.png from the finished runs
#   keep      copies the finished runs' results (.result, .eval, generate.txt) to M2_KEEP, a
#             tracked directory, so that a later session (a new checkout) goes on from them
# Resumable: a finished run (its .result) is kept, an interrupted one resumes from its checkpoint;
# with M2_KEEP, a run whose result is kept there is restored from it instead of trained again
# (the one checkpoint a later step needs, learn_b16_t8's for generate, is trained again if gone).
# usage: bench/m2_experiments.sh [all|learn|patch|generate|report|keep]...
#   env: M2_FLOPS (training FLOPs per learnability run, default 1e13), THREADS (2),
#        M2_RUNS (runs/m2/runs), M2_DATA (runs/m2/data), M2_SKIP_DATA=1 (data made already),
#        M2_MODEL, M2_TRAIN, M2_TRAIN_MB (the M1 and the training set: see bench/m2_data.sh),
#        M2_CONFIG (eiw train options of the M2, replacing the default below),
#        M2_OUT (the report's path without .md/.tsv/.png, default bench/results/m2),
#        M2_KEEP (kept results; none by default)
# Give every model / training set / M2 its own M2_DATA and M2_RUNS.
#   M2_PRESET=broad: the rerun of issue 17 (each setting above still wins when given): the broad
#   training set (24 MB), an M2 of 3.28M parameters (d=256, 4 heads, 4 layers, MLP 1024, 256
#   tokens of context; 5.3K tokens/s on the 2 quiet cores, against 11.9K for the 1.43M M2 and
#   2.7K for a 7.3M one) and 1e14 training FLOPs per learnability run (~15 min each, the two
#   tables ~2.2 hours), with M2_MODEL (default: the default M1) and its own directories.
set -eu
cd "$(dirname "$0")/.."
if [ "${M2_PRESET:-}" = broad ]; then
    : "${M2_TRAIN:=broad}" "${M2_TRAIN_MB:=24}" "${M2_FLOPS:=1e14}"
    : "${M2_CONFIG:=--config small --context 256 --d-model 256 --heads 4 --layers 4 --d-ff 1024
        --batch 16 --lr 1.5e-3 --warmup 200 --seed 7}"
    : "${M2_DATA:=runs/m2-broad/data}" "${M2_RUNS:=runs/m2-broad/runs}"
    : "${M2_OUT:=bench/results/m2_broad}" "${M2_KEEP:=bench/results/m2_broad_runs}"
    export M2_TRAIN M2_TRAIN_MB
elif [ -n "${M2_PRESET:-}" ]; then
    echo "$0: M2_PRESET: broad or nothing, not $M2_PRESET" >&2
    exit 2
fi
flops=${M2_FLOPS:-1e13}
threads=${THREADS:-2}
data=${M2_DATA:-runs/m2/data}
runs=${M2_RUNS:-runs/m2/runs}
res=bench/results
# M2: d=192, 4 heads, 3 layers, MLP 768, ReLU, ALiBi, 128 tokens of context, batch 16;
# 1.43M parameters with 256 token values (1.33M without embedding and head)
m2=${M2_CONFIG:-"--config small --context 128 --d-model 192 --heads 4 --layers 3 --d-ff 768
    --batch 16 --lr 2e-3 --warmup 100 --seed 7"}
model=${M2_MODEL:-m1}
report_out=${M2_OUT:-$res/m2}
keep=${M2_KEEP:-}
mkdir -p "$runs" "$res"

# the data of a row: training inputs | evaluation inputs (eiw eval's DATA and options)
dev_bytes() { cat "$data"/dev/* | wc -c; }
train_args() {
    case $1 in
    bytes) echo "--data $data/train" ;;
    ac | zstd) echo "--token-bytes 1 --data $data/$1/train" ;;
    *) echo "--data $data/eiw_$1/train" ;;
    esac
}
eval_args() {
    case $1 in
    bytes) echo "$data/dev" ;;
    ac | zstd) echo "--token-bytes 1 --bytes $(dev_bytes) $data/$1/dev" ;;
    *) echo "$data/eiw_$1/dev" ;;
    esac
}

# run NAME DATAKIND TRAIN-OPTIONS...: trains (or resumes) and evaluates; NAME.result holds
# "name kind params pflop wall_s cpu_s steps tokens_per_byte model_bpt model_bpb uniform_bpb
#  unigram_bpb" (bits/byte are per original byte on the dev split)
run() {
    name=$1 kind=$2
    shift 2
    r=$runs/$name
    if [ ! -s "$r.result" ] && [ -n "$keep" ] && [ -s "$keep/$name.result" ]; then
        cp "$keep/$name.result" "$keep/$name.eval" "$runs/"
        echo "m2: $name: restored from $keep" >&2
    fi
    [ -s "$r.result" ] && return 0
    echo "m2: $name ($kind) $*" >&2
    if [ -s "$r.ckpt" ]; then
        set -- --resume "$r.ckpt" --threads "$threads"
    else
        set -- $m2 --threads "$threads" "$@"
    fi
    /usr/bin/time -f "%e %U %S" -o "$r.time" ./eiw train $(train_args "$kind") --out "$r.ckpt" \
        --eval-every 0 --ckpt-every 250 --log-every 50 "$@" >> "$r.log" 2>&1 ||
        { echo "m2: $name: training failed, see $r.log" >&2; exit 1; }
    ./eiw eval --m2 "$r.ckpt" --threads "$threads" $(eval_args "$kind") > "$r.eval" ||
        { echo "m2: $name: eval failed" >&2; exit 1; }
    # compute: FLOPs of both stages from the plan line, wall = training only (no evaluation)
    plan=$(grep -m1 'stage 1 (patch' "$r.log")
    pflop=$(echo "$plan" | awk '{ for (i = 1; i <= NF; i++) if ($i == "PFLOP;" || $i ~ /^PFLOP/) s += $(i-1); print s }')
    steps=$(echo "$plan" | sed 's/.*stage 1 (patch K=[0-9]*): \([0-9]*\) steps.*stage 2 (token): \([0-9]*\) steps.*/\1 \2/' | awk '{ print $1 + $2 }')
    wall=$(grep 'eiw train: done' "$r.log" | sed 's/.*(\([0-9.]*\) s training.*/\1/' | awk '{ s += $1 } END { print s }')
    cpu=$(awk '{ print $2 + $3 }' "$r.time")
    params=$(grep -m1 'params (' "$r.log" | sed 's/.*| \([0-9]*\) params.*/\1/')
    tpb=$(grep '^data:' "$r.eval" | sed 's/.*, \([0-9.]*\) tokens\/byte/\1/')
    set -- $(awk '$1 == "model" { m1 = $2; m2 = $3 } $1 == "uniform" { u = $3 }
                  $1 == "unigram" { g = $3 } END { print m1, m2, u, g }' "$r.eval")
    echo "$name $kind $params $pflop $wall $cpu $steps $tpb $1 $2 $3 $4" > "$r.result"
    [ -z "$keep" ] || { mkdir -p "$keep"; cp "$r.result" "$r.eval" "$keep/"; }
    echo "m2: $name: $2 bits/byte (coding rate $3), $pflop PFLOP, $wall s" >&2
}

learn() {
    for kind in bytes b16_t8 b16_t16 b64_t8 zstd ac; do
        run "learn_$kind" "$kind" --flops "$flops"
    done
}

# token-level steps of a finished learnability run
steps_of() { awk '{ print $7 }' "$runs/learn_$1.result"; }

patch() {
    for kind in b16_t8 bytes; do
        run "learn_$kind" "$kind" --flops "$flops"
        n=$(steps_of "$kind")
        run "patch_${kind}_k4_l23" "$kind" --steps "$n" --patch-size 4 --patch-fraction 0.6666667
        [ "$kind" = b16_t8 ] || { run "patch_${kind}_half" "$kind" --steps $((n / 2)); continue; }
        run "patch_${kind}_k4_l12" "$kind" --steps "$n" --patch-size 4 --patch-fraction 0.5
        run "patch_${kind}_k2_l23" "$kind" --steps "$n" --patch-size 2 --patch-fraction 0.6666667
        # token level with the compute of K=4, L=2/3 (half the steps)
        run "patch_${kind}_half" "$kind" --steps $((n / 2))
    done
}

generate() {
    ck=$runs/learn_b16_t8.ckpt
    out=$runs/generate.txt
    [ -s "$out" ] || [ -z "$keep" ] || [ ! -s "$keep/generate.txt" ] || cp "$keep/generate.txt" "$out"
    [ -s "$out" ] && return 0
    # a result restored from M2_KEEP comes without its checkpoint: train it again (same seed)
    [ -s "$ck" ] || rm -f "$runs/learn_b16_t8.result"
    run learn_b16_t8 b16_t8 --flops "$flops"
    : > "$out.tmp"
    for seed in 1 2 3; do
        for prompt in "" "It was the best of times, it was the worst of times, "; do
            echo "### seed $seed, prompt '$prompt'" >> "$out.tmp"
            ./eiw generate --m2 "$ck" --model "$model" --window-bits 16 --bytes 400 --temperature 0.8 \
                --seed "$seed" --prompt "$prompt" >> "$out.tmp" 2> "$out.stats"
            printf '\n' >> "$out.tmp"
            sed 's/^/    /' "$out.stats" >> "$out.tmp"
        done
    done
    rm -f "$out.stats"
    mv "$out.tmp" "$out"
    [ -z "$keep" ] || { mkdir -p "$keep"; cp "$out" "$keep/"; }
}

report() { bench/m2_report.sh "$runs" "$report_out" "$data" "$m2" "$model"; }

keep_results() {
    [ -n "$keep" ] || { echo "$0: keep: M2_KEEP is not set" >&2; exit 2; }
    mkdir -p "$keep"
    for f in "$runs"/*.result; do
        [ -s "$f" ] || continue
        cp "$f" "${f%.result}.eval" "$keep/"
    done
    [ ! -s "$runs/generate.txt" ] || cp "$runs/generate.txt" "$keep/"
    echo "m2: kept $(ls "$keep" | grep -c '\.result$') finished runs in $keep" >&2
}

[ $# -gt 0 ] || set -- all
[ "$*" != keep ] || { keep_results; exit 0; }
make -s eiw
[ -n "${M2_SKIP_DATA:-}" ] || bench/m2_data.sh "$data" "$threads"
for what in "$@"; do
    case $what in
    all) learn; patch; generate; report ;;
    learn | patch | generate | report) $what ;;
    keep) keep_results ;;
    *) echo "usage: $0 [all|learn|patch|generate|report|keep]..." >&2; exit 2 ;;
    esac
done
