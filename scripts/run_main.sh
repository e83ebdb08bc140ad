#!/usr/bin/env bash
# The README's main job: install, fetch the bundled real data, build, train the tiny preset for a
# bounded run (~15 min on 2 cores), evaluate every benchmark test set, and say where the results are.
# Outputs land in ./out (override with MVG_OUT); MVG_STEPS sets the training length (default 1000:
# 0.4–0.85 s a step on 2 cores, Intel Xeon to AMD EPYC, label fusion included; docs/results.md). A run
# of another length is a new run in out/run-<steps> (the learning-rate schedule spans the whole run, so a
# finished run cannot simply go on); a re-run of the same length resumes its run. MVG_DRY_RUN=1 prints the
# training and evaluation commands instead of installing, building and running (tests use it).
# Denoising and synthesis train autoregressively here (the paper: 10% AR, 90% MIM), and mvg_eval infers
# them that way: in a 15-minute budget MIM leaves them a blurred mean image (docs/results.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${MVG_OUT:-out}
steps=${MVG_STEPS:-1000}
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || { echo "run_main.sh: MVG_STEPS='$steps' is not a positive whole number" >&2; exit 2; }
run="$out/run"
[ "$steps" = 1000 ] || run="$out/run-$steps"
dry=${MVG_DRY_RUN:-0}
go() { if [ "$dry" = 1 ]; then echo "$*"; else "$@"; fi; }
if [ "$dry" != 1 ]; then
  scripts/setup.sh
  scripts/fetch_data.sh
  mkdir -p "$out"
  cmake $([ -f build/CMakeCache.txt ] || echo -GNinja) -S . -B build -DCMAKE_BUILD_TYPE=Release -DMVG_BUILD_EXAMPLES=ON >/dev/null
  cmake --build build -j"$(nproc)" --target mvg_train mvg_eval mvg_infer
fi
resume=()
[ -f "$run/train_state.safetensors" ] && resume=(--resume)  # a re-run continues an interrupted one
# bf16 products where the CPU has AMX or AVX512-BF16, fp32 elsewhere (said at start); the same table
# either way, within the seed spread (docs/precision.md, docs/results.md).
# --position-heads 1: one head per block starts out attending by position, so the model reads its prompt
# (S2-regions 0.02 -> 0.30, held-out classes 0.01 -> 0.27 over three seeds; docs/results.md, "Position heads").
# --set-weights: the sets only the prompt can decide get twice the segmentation steps (S2-regions 0.30 ->
# 0.32, held-out classes +0.01 / +0.02 over three seeds, U1 -0.02 / -0.03; docs/results.md).
# --pixel-skip: the decoder also reads the query image and the prompt pair at full resolution (not in the
# paper; over three seeds S3 0.28 -> 0.35, S2-regions 0.32 -> 0.38, U2 0.69 -> 0.73, denoising +2 dB,
# inpaint-ch2 -2.4 dB; docs/results.md, "Pixel skip").
# --background-weight 0.2: segmentation's background pixels weigh 0.2, not the released 0.1, so decoding
# calls a pixel foreground from p ~ 17% instead of 9% (over three seeds held-out classes +0.02 / +0.03,
# U2 0.735 -> 0.753, S5-bone -0.07, D2 -0.6 dB; docs/results.md, "Background weight").
# --prompt-distance 8: training prompts lie within 8 slices of their query (test prompts: 9-19), for every
# task kind: over three seeds S2-regions +0.04, held-out classes +0.035 / +0.024, S3 +0.03 (past copy on
# every seed), U1-parcels +0.05; S1 -0.02, S5 -0.06, denoising -1 to -2.8 dB, X1 -1.2 / -0.8 dB (under the
# input). Half the segmentation gain comes from the image tasks' near prompts, so a segmentation-only
# bound (--seg-prompt-distance) does not keep it (docs/results.md, "Nearer training prompts").
# --label-fusion: the decoder also sees the prompt label carried onto the query by patch-based label fusion
# (the classical atlas method; not in the paper). Over three seeds the held-out S2 regions 0.33 -> 0.43 (copy
# 0.36), S2-regions 0.42 -> 0.46, U1-parcels 0.29 -> 0.40, U2 0.79 -> 0.86, S1 0.80 -> 0.86, S5 +0.12 / +0.15,
# denoising +2.5 to +3.7 dB, synthesis +1 to +1.5 dB; inpainting -2.5 / -1.6 dB, S3-held-out 0.28 -> 0.30 (copy
# 0.34); ~0.08 s more a step (docs/results.md, "Label fusion").
# --fusion-holes: a second fused channel in which the query's zero pixels (inpainting holes) do not count in
# the patch distance. Over three seeds inpainting +1.8 / +1.0 dB (back a little under the recipe before label
# fusion), denoising +0.8 to +1.4 dB, S5-bone 0.39 -> 0.44, U1-parcels +0.02, S2 +0.01 to +0.02, U2 +0.01;
# S5-head -0.006, S3-held-out unchanged; no step time measurable (docs/results.md, "Fusion holes").
go ./build/examples/mvg_train --out "$run" --steps "$steps" --seed 0 --ar-share denoising=1,synthesis=1 \
  --position-heads 1 --set-weights S2-regions=2,S3=2,S2-lobes=2 --pixel-skip --background-weight 0.2 \
  --prompt-distance 8 --label-fusion --fusion-holes --precision bf16 "${resume[@]}"
# --coloring per-class: a prompt with several classes is answered one class per pass (each at a random
# level, as trained) and merged; single-class tasks are answered exactly as in one pass. Over three seeds
# S2-lobes 0.07 -> 0.15, U1-hemispheres 0.56 -> 0.72, nothing lower (docs/results.md, "Coloring").
# --decoding calibrated: per query and class, the line between class and background is the one at which the
# model best segments its prompt slice from another labelled slice as far away as the query (labelled
# slices only; a second pass per class). Over three seeds U2 0.753 -> 0.793 (copy 0.759), S1 +0.04, S3
# +0.03, U1 +0.03 / +0.04, S5-head -0.08, S2-regions -0.01 (docs/results.md, "Calibrated decoding").
go ./build/examples/mvg_eval --checkpoint "$run/model.safetensors" --out "$out/eval" --precision bf16 --coloring per-class \
  --decoding calibrated
[ "$dry" = 1 ] && exit 0
echo
echo "main job done:"
echo "  results table   $out/eval/results.md (and results.csv)"
echo "  pictures        $out/eval/grids/*.png, loss curve $run/loss.png"
echo "  checkpoint      $run/model.safetensors (log: $run/log.csv)"
