#!/usr/bin/env bash
# The whole test suite: makes sure the environment is installed (idempotent),
# then runs pytest. Extra arguments go to pytest, e.g. `-k depict` or `-x`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/install.sh"
VENV="${MMSEG_DEPICT_VENV:-$ROOT/.venv}"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  -r "$ROOT/tests/requirements.txt"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest tests "$@"
