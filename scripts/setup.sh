#!/usr/bin/env bash
# Set up everything ml5-dcgan-tools needs, idempotently: a virtual environment (.venv) with the
# package and its test tools, and the pinned TF.js runtimes (npm) in the user's cache folder.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "error: Python >= 3.10 is needed (found: $("$python" --version 2>&1)). Fix: install it, or set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "error: Node.js and npm are needed to prove exports in TF.js. Fix: apt-get install nodejs npm (Node >= 18)" >&2
    exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
# Reinstall only when the package's dependencies changed.
stamp=".venv/.ml5-dcgan-installed-$(sha256sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "installing ml5-dcgan-tools and its dependencies into .venv (TensorFlow: a few minutes the first time) ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    rm -f .venv/.ml5-dcgan-installed-*
    touch "$stamp"
fi
.venv/bin/ml5-dcgan runtime install
