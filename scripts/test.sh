#!/usr/bin/env bash
# Sets up and builds mnemo, then runs every test (lit, GoogleTest, the ONNX
# test-data import sweep, real-model imports) under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure
