#!/usr/bin/env bash
# The main job on the bundled examples: lint the naive and fixed training code and configs, then
# profile the naive PyTorch pipeline on this machine (CPU is fine) and print its verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --torch

echo
echo "== pipeline-doctor lint examples/ =="
node dist/cli.js lint examples --fail-on never

# An interpreter with torch: python3 on PATH if it has torch, else Debian's (setup installed python3-torch).
PY=python3
python3 -c 'import torch' >/dev/null 2>&1 || PY=/usr/bin/python3
echo
echo "== pipeline-doctor profile examples/pytorch/naive_train.py (quick mode, $PY) =="
node dist/cli.js profile examples/pytorch/naive_train.py --python "$PY" --mode quick -- --epochs 1
