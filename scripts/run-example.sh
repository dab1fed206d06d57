#!/usr/bin/env bash
# Sets up and builds mnemo, then compiles a model (default: the bundled
# examples/tiny_cnn.onnx) for the CPU with mnemoc and runs the artifact with
# mnemo-run against reference outputs (default: examples/tiny_cnn_data,
# onnxruntime's output for that input).
#   bash scripts/run-example.sh [model.onnx [data_dir] [--dim NAME=LO..HI ...]]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
model="${1:-examples/tiny_cnn.onnx}"
data="${2:-examples/tiny_cnn_data}"
shift $(( $# > 2 ? 2 : $# )) || true
dims=("$@")
[ ${#dims[@]} -eq 0 ] && [ "$model" = "examples/tiny_cnn.onnx" ] && dims=(--dim batch=1..8)
name="$(basename "${model%.*}" | tr -c 'A-Za-z0-9_\n' '_')"
echo "== mnemoc $model --target=cpu -o out/$name ${dims[*]:-}"
build/bin/mnemoc "$model" --target=cpu -o "out/$name" "${dims[@]}" --timing 2>&1 | tail -n 12
ls -l "out/$name"
echo "== the C contract (out/$name/$name.h):"
grep -E "^ \*   |_run|_workspace_bytes" "out/$name/$name.h"
echo "== mnemo-run --artifact out/$name --inputs $data --repeat 20"
build/bin/mnemo-run --artifact "out/$name" --inputs "$data" --repeat 20
