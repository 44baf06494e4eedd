#!/usr/bin/env bash
# Set everything up (idempotent), then run the main job on the built-in default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo
echo "== validating the sample manifests (ml5's own included) =="
.venv/bin/ml5-dcgan manifest validate sample_manifests/valid
