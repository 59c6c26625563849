#!/usr/bin/env bash
# Quick start: install everything, then train and test DEPICT-SA (ViT-T) on a
# generated dataset in the ADE20K layout, on the CPU, in a few minutes.
# Idempotent: finished set-up, data and training are not redone
# (delete work_dirs/quickstart to train again).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/install.sh"
PY="${MMSEG_DEPICT_VENV:-$ROOT/.venv}/bin/python"
cd "$ROOT"

CONFIG=configs/quickstart/depict-sa_vit-t16_1xb8-320_synthetic-ade20k-192x192.py
DATA=data/synthetic/ade/ADEChallengeData2016
WORK=work_dirs/quickstart
CKPT="$WORK/iter_320.pth"

"$PY" tools/misc/generate_synthetic_dataset.py ade20k "$DATA" \
  --num-train 400 --num-val 50 --size 256 256 --seed 0
if [ -f "$CKPT" ]; then
  echo "[quickstart] $CKPT exists: skipping training"
else
  "$PY" tools/train.py "$CONFIG" --work-dir "$WORK"
fi
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK/test" \
  --show-dir "$WORK/test/vis"
"$PY" tools/misc/summarize_quickstart.py "$WORK"
