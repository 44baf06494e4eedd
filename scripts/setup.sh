#!/usr/bin/env bash
# Set up everything ml5-dcgan-tools needs, idempotently: a virtual environment (.venv) with the
# package and its test tools, and the pinned JavaScript runtimes (npm) in the user's cache folder.
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
# Both runtime parts (about 57 MB): the tests need the browser one too, and run offline after.
.venv/bin/ml5-dcgan runtime install --all

# The browser check drives the system's Chromium (playwright-core never downloads a browser).
if [ -z "${ML5_DCGAN_CHROMIUM:-}" ] && ! command -v chromium >/dev/null \
        && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "installing Debian's chromium for the browser check (apt-get, a few minutes) ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: Chromium not found; the browser tests will fail. Fix: sudo apt-get install chromium (Debian/Ubuntu), or set ML5_DCGAN_CHROMIUM=/path/to/chrome" >&2
    fi
fi
