#!/usr/bin/env bash
# Create the project environment (.venv) if it is missing or stale, then run a command inside it.
#
#   bash scripts/bootstrap.sh python -m ivan_core tutorial --profile tutorial   # the main job
#   bash scripts/bootstrap.sh python -m pytest -n 2                            # the tests
#
# PyTorch is installed first, on its own, so that you choose the build:
#   IVAN_TORCH (default "torch==2.13.0") is passed to pip as it is. On the project's CI machine
#   that pin resolves to a local CPU wheel. Elsewhere, for a CPU-only build, use
#   IVAN_TORCH="torch --index-url https://download.pytorch.org/whl/cpu"; for a GPU, the CUDA
#   build that matches your driver (see pytorch.org). An environment that already has torch
#   keeps it. IVAN_VENV picks another environment folder, PYTHON another interpreter (>= 3.10).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${IVAN_VENV:-.venv}
python=${PYTHON:-python3}
stamp="$venv/.ivan-installed"
want=$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "[bootstrap] setting up $venv" >&2
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
        # shellcheck disable=SC2086  # IVAN_TORCH may carry pip options on purpose
        "$venv/bin/python" -m pip install --quiet ${IVAN_TORCH:-torch==2.13.0}
    fi
    "$venv/bin/python" -m pip install --quiet -e ".[all]"
    echo "$want" > "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH" VIRTUAL_ENV="$PWD/$venv"
exec "$@"
