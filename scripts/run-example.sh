#!/usr/bin/env bash
# Sets up and builds mnemo, then imports a model (default: the bundled
# examples/tiny_cnn.onnx) into the graph dialect, infers shapes and prints
# what it did. Output: out/<model>.mlir
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
model="${1:-examples/tiny_cnn.onnx}"
name="$(basename "${model%.*}")"
mkdir -p out
echo "== importing $model"
build/bin/mnemo-translate --import-onnx --list-unsupported "$model" || true
build/bin/mnemo-translate --import-onnx --infer-shapes "$model" -o "out/$name.mlir"
echo "== wrote out/$name.mlir ($(wc -c < "out/$name.mlir") bytes); function signature:"
grep -m1 "func.func" "out/$name.mlir" | sed 's/{[^}]*}//g' | cut -c1-400
echo "== ops after graph-infer-shapes (mnemo-opt --print-op-stats):"
build/bin/mnemo-opt "out/$name.mlir" --print-op-stats -o /dev/null 2>&1 | sed -n '/Operations encountered/,$p'
