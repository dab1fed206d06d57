#!/usr/bin/env bash
# Runs the importer fuzzer for a bounded time (MNEMO_FUZZ_SECONDS, default
# 30) from a seed corpus; any crash, leak-free ASan report or timeout fails.
set -euo pipefail
fuzzer="$1"; corpus="$2"; shift 2
mkdir -p "$corpus"
for seed in "$@" /usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx \
            /usr/share/libonnx-testdata/data/node/test_reshape_reduced_dims/model.onnx \
            /usr/share/libonnx-testdata/data/node/test_slice/model.onnx; do
  [ -f "$seed" ] && cp -f "$seed" "$corpus/$(echo "$seed" | tr '/' '_')"
done
exec "$fuzzer" "$corpus" -max_total_time="${MNEMO_FUZZ_SECONDS:-30}" \
  -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1
