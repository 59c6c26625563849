#!/usr/bin/env bash
# Check a CUDA installation (FORCE_CUDA=1 bash tools/install.sh) end to end on
# one GPU, in a few minutes:
#   1. mmcv's multi-scale deformable attention kernel against its PyTorch path
#      (float64 / float32 / float16, speed, memory, whole Mask2Former model);
#   2. short trainings on generated data in the real layouts, float32,
#      --amp (fp16) and --amp bf16, through tools/train.py, then tools/test.py
#      on the --amp checkpoint: Mask2Former R50 and DEPICT-SA ViT-B (mmseg runner, ADE20K,
#      512x512 crops) and DETR panoptic R50 (mmdet runner, COCO panoptic);
#   3. a table of iteration time, peak memory, losses and the test metric;
#   4. stock vs fused attention and loss (ViT-B train step, inference; fp16 autocast,
#      batch 8, 512x512), eager vs --compile (ViT-S), one window at a time vs
#      batched on a 1024x2048 image (benchmark_speedups.py).
#
#   bash tools/misc/check_cuda.sh [WORK_DIR]      # default work_dirs/check_cuda
#
# Environment: ITERS (training iterations, default 100), PYTHON (interpreter,
# default the install's .venv). No pretrained weights are loaded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-${MMSEG_DEPICT_VENV:-$ROOT/.venv}/bin/python}"
WORK="${1:-work_dirs/check_cuda}"
ITERS="${ITERS:-100}"
cd "$ROOT"
mkdir -p "$WORK"
say() { echo "[check_cuda] $*"; }

# Stops with a message when torch sees no GPU or mmcv has no CUDA kernels.
say "multi-scale deformable attention: CUDA kernel vs PyTorch path"
"$PY" tools/analysis_tools/benchmark_msdeform_attn.py \
  --out "$WORK/msdeform_attn.json"

ADE="$WORK/data/ade/ADEChallengeData2016"
COCO="$WORK/data/coco"
"$PY" tools/misc/generate_synthetic_dataset.py ade20k "$ADE" \
  --num-train 64 --num-val 16 --size 512 683
COCO_TRAIN=32  # DETR's config trains on batches of 2: 16 iterations an epoch
"$PY" tools/misc/generate_synthetic_dataset.py coco_panoptic "$COCO" \
  --num-train "$COCO_TRAIN" --num-val 8 --size 480 640

# Schedules shortened to ITERS iterations (DETR: epochs of the generated
# training split), one validation at the end, no pretrained weights.
mmseg_run() {  # name config [train args...]
  local name=$1 config=$2
  shift 2
  "$PY" tools/train.py "$config" --work-dir "$WORK/$name" "$@" \
    --cfg-options model.pretrained=None model.backbone.init_cfg=None \
    train_cfg.max_iters="$ITERS" train_cfg.val_interval="$ITERS" \
    default_hooks.checkpoint.interval="$ITERS" default_hooks.logger.interval=10 \
    train_dataloader.dataset.data_root="$ADE" \
    val_dataloader.dataset.data_root="$ADE" \
    test_dataloader.dataset.data_root="$ADE"
}
mmdet_run() {  # name config [train args...]
  local name=$1 config=$2
  shift 2
  "$PY" tools/train.py "$config" --work-dir "$WORK/$name" "$@" \
    --cfg-options model.backbone.init_cfg=None \
    train_cfg.max_epochs=$(( (2 * ITERS + COCO_TRAIN - 1) / COCO_TRAIN )) \
    train_cfg.val_interval=1000 \
    default_hooks.checkpoint.interval=1000 default_hooks.logger.interval=10 \
    train_dataloader.dataset.data_root="$COCO/" \
    val_dataloader.dataset.data_root="$COCO/" \
    test_dataloader.dataset.data_root="$COCO/"
}

M2F=configs/mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py
DEPICT=configs/depict/depict-sa_vit-b16_8xb1-160k_ade20k-512x512.py
DETR=configs/detr_panoptic/detr-panoptic_r50_8xb2-150e_coco-panoptic.py
# A failed run is reported at the end; the other runs go on.
failed=()
for precision in fp32 amp bf16; do
  amp=()
  [ "$precision" = amp ] && amp=(--amp)
  [ "$precision" = bf16 ] && amp=(--amp bf16)
  say "training, $precision"
  mmseg_run "mask2former_$precision" "$M2F" "${amp[@]}" ||
    failed+=("mask2former_$precision")
  mmseg_run "depict_$precision" "$DEPICT" "${amp[@]}" ||
    failed+=("depict_$precision")
  mmdet_run "detr_$precision" "$DETR" "${amp[@]}" || failed+=("detr_$precision")
done

say "tools/test.py on the --amp checkpoints"
for run in mask2former depict; do
  config=$M2F
  [ "$run" = depict ] && config=$DEPICT
  ckpt="$WORK/${run}_amp/iter_$ITERS.pth"
  [ -f "$ckpt" ] || continue
  "$PY" tools/test.py "$config" "$ckpt" --work-dir "$WORK/${run}_amp/test" \
    --cfg-options test_dataloader.dataset.data_root="$ADE" ||
    failed+=("${run}_amp test")
done
if [ -f "$WORK/detr_amp/last_checkpoint" ]; then
  "$PY" tools/test.py "$DETR" "$(cat "$WORK/detr_amp/last_checkpoint")" \
    --work-dir "$WORK/detr_amp/test" \
    --cfg-options model.backbone.init_cfg=None \
    test_dataloader.dataset.data_root="$COCO/" || failed+=("detr_amp test")
fi

say "fused attention and loss, --compile and batched windows vs the stock paths"
"$PY" tools/analysis_tools/benchmark_speedups.py --device cuda --amp \
  --parts vit compile slide --backbones b --batch 8 --threads "$(nproc)" \
  --repeats 10 --warmup 3 --out "$WORK/speedups.json" || failed+=(speedups)

runs=()
for run in "$WORK"/{mask2former,depict,detr}_{fp32,amp,bf16}; do
  ls "$run"/*/vis_data/scalars.json > /dev/null 2>&1 && runs+=("$run")
done
"$PY" tools/misc/summarize_training_runs.py "${runs[@]}" || failed+=(summary)
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]}"
  exit 1
fi
say "all runs trained and tested"
