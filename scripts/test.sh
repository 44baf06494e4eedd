#!/usr/bin/env bash
# Run every check: set-up (idempotent), ruff, then all tests, slow and browser ones included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -m "" "$@"
