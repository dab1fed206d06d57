#!/usr/bin/env bash
# CPU benchmark: mnemo artifacts vs onnxruntime (PyPI) in one invocation.
# Creates .venv (python3 -m venv) with onnxruntime, onnx and numpy the first
# time; MobileNetV2 is exported with Debian's torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import onnxruntime" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q onnxruntime onnx numpy
fi
.venv/bin/python bench/bench_cpu.py --bindir build/bin --workdir build/bench "$@"
