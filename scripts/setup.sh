#!/usr/bin/env bash
# Set up stancewire in a virtual environment at .venv (idempotent).
# torch is pinned to the CPU wheel 2.13.0; every other dependency comes from pyproject.toml,
# at the exact versions of constraints.txt (the versions the test suite passed with).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
pip_install() {
  # pip warns about every unreachable mirror folder on some machines: keep the log readable.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v -E "^WARNING: Location '.*' is ignored" || true; }
}
pip_install -c constraints.txt "torch==2.13.0"
pip_install -c constraints.txt -e ".[dev]"
echo "stancewire is installed in .venv ($(.venv/bin/stancewire --version))"
