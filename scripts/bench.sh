#!/usr/bin/env bash
# CPU benchmark: mnemo artifacts per ISA level (x86-64-v3, host, and
# x86-64-v4 on AVX-512 machines) vs onnxruntime and IREE (PyPI) in one
# invocation. Creates .venv (python3 -m venv) with onnxruntime, onnx, numpy
# and iree-base-compiler/-runtime the first time; the CNNs are exported with
# Debian's torchvision. Arguments go to bench/bench_cpu.py (--models,
# --threads, --levels, --no-iree).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import onnxruntime, iree.runtime" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q onnxruntime onnx numpy iree-base-compiler iree-base-runtime
fi
.venv/bin/python bench/bench_cpu.py --bindir build/bin --workdir build/bench "$@"
