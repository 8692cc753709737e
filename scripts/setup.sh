#!/usr/bin/env bash
# Set up stancewire in a virtual environment at .venv (idempotent).
# torch is pinned to the CPU wheel 2.13.0; every other dependency comes from pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "stancewire is installed in .venv ($(.venv/bin/stancewire --version))"
