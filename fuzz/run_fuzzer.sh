#!/usr/bin/env bash
# Runs a fuzz target for a bounded time (MNEMO_FUZZ_SECONDS, default 30)
# from a seed corpus; any crash, ASan or UBSan report, timeout or
# out-of-memory input fails. Inputs are not reduced: in the normal build
# only the fuzzer's own file carries coverage, and libFuzzer would shrink
# every model to a byte of equal (empty) coverage.
set -euo pipefail
fuzzer="$1"; corpus="$2"; shift 2
mkdir -p "$corpus" "$corpus-findings"
nodes=/usr/share/libonnx-testdata/data/node
for seed in "$@" $nodes/test_conv_with_strides_padding/model.onnx \
            $nodes/test_reshape_reduced_dims/model.onnx \
            $nodes/test_slice/model.onnx $nodes/test_resize_upsample_scales_cubic/model.onnx \
            $nodes/test_gather_0/model.onnx $nodes/test_matmul_2d/model.onnx \
            $nodes/test_maxpool_2d_pads/model.onnx $nodes/test_pad/model.onnx; do
  [ -f "$seed" ] && cp -f "$seed" "$corpus/$(echo "$seed" | tr '/' '_')"
done
exec "$fuzzer" "$corpus" -max_total_time="${MNEMO_FUZZ_SECONDS:-30}" \
  -timeout=60 -rss_limit_mb=6144 -malloc_limit_mb=4096 -max_len=262144 \
  -reduce_inputs=0 -artifact_prefix="$corpus-findings/" -print_final_stats=1
