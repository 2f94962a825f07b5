#!/usr/bin/env bash
# Create .venv/ in the repository with everything mcfa-mm needs, the package
# installed editable. Safe to re-run: mmcv's built wheel is reused from pip's
# wheel cache, so only the first run pays for the ~15 minute source build.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip)
"${PIP[@]}" install -q --upgrade pip
# torch first, alone and pinned: a bare `torch` would pull a multi-GB CUDA build.
"${PIP[@]}" install -q -r requirements/build.txt 'torch==2.13.0'
# mmcv 2.1.0 has no wheel on PyPI; build it against the torch above, with its
# ops (mmdet imports mmcv.ops). --no-build-isolation lets its setup.py see torch.
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    "${PIP[@]}" install --no-build-isolation -r requirements/mminstall.txt
"${PIP[@]}" install -q -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" install -q --no-build-isolation --no-deps -e .
"$VENV/bin/python" -c "import mcfa_mm, mmcv.ops; print('mcfa_mm', mcfa_mm.__version__, 'ready in', '$VENV')"
