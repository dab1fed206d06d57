#!/usr/bin/env bash
# The CUDA target's GPU checks, in two halves.
#
#   bash scripts/gpu-check.sh prepare   # here (any machine with the build):
#       compiles the conformance list, the tiny CNN (also with
#       --gpu-precision=tf32, fp16 and bf16), the tiny GPT, two attention
#       chains (test/Driver/Inputs/make_attention.py: the FlashAttention
#       kernels),
#       fp16 and bf16 products (test/Driver/Inputs/make_half_products.py),
#       gpt2_tiny_decode and MobileNetV2 for
#       --target=cuda into build/gpu-check/ (artifacts, raw
#       inputs and references, tools/mnemo-cuda-check and the runtime),
#       packed as build/gpu-check.tgz (about 48 MB: under the device tool's
#       64 MiB carry limit, which the 88 MB folder is not)
#   bash scripts/gpu-check.sh run       # on the GPU machine (carry
#       build/gpu-check.tgz): runs every artifact, compares it with its
#       reference and times the models with CUDA events; prints one line
#       per artifact and `N passed, N failed`; exits 77 without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/gpu-check
case "${1:-run}" in
prepare)
  cmake --build build --target mnemo-run mnemo-cuda-check mnemo_cuda_runtime >/dev/null
  rm -rf "$out"
  mkdir -p "$out/bin" "$out/tests"
  cp build/bin/mnemo-cuda-check build/lib/libmnemo_cuda_runtime.so "$out/bin/"
  # The tiny CNN also with tf32, fp16 and bf16 tensor cores (MobileNetV2's
  # 14 MB of weights twice would not fit the device tool's 64 MiB carry
  # limit).
  models=(--model examples/tiny_cnn.onnx:examples/tiny_cnn_data
          --model examples/tiny_cnn.onnx:examples/tiny_cnn_data@tf32
          --model examples/tiny_cnn.onnx:examples/tiny_cnn_data@fp16
          --model examples/tiny_cnn.onnx:examples/tiny_cnn_data@bf16
          --model examples/tiny_gpt.onnx:examples/tiny_gpt_data)
  # Attention with partial tiles and a decode row (needs python3-onnx).
  py=python3
  [ -x .venv/bin/python ] && py=.venv/bin/python
  mkdir -p build/gpu-check-attention
  if "$py" test/Driver/Inputs/make_attention.py build/gpu-check-attention; then
    models+=(--model build/gpu-check-attention/attention.onnx:build/gpu-check-attention/data)
  fi
  # fp16 and bf16 products against references rounded as the kernels
  # define them.
  for half in fp16 bf16; do
    mkdir -p build/gpu-check-$half
    if "$py" test/Driver/Inputs/make_half_products.py build/gpu-check-$half $half; then
      models+=(--model build/gpu-check-$half/products.onnx:build/gpu-check-$half/data@$half)
    fi
  done
  [ -d ../shared/models/gpt2_tiny_decode ] && models+=(--model ../shared/models/gpt2_tiny_decode)
  [ -d build/bench/mobilenet_v2 ] && models+=(--model build/bench/mobilenet_v2)
  /usr/bin/python3 test/scripts/gpu_check_prepare.py --run build/bin/mnemo-run \
    --out "$out/tests" --expected test/conformance/expected_pass.txt "${models[@]}"
  tar -czf build/gpu-check.tgz -C build gpu-check
  du -sh build/gpu-check.tgz
  ;;
run)
  [ -d "$out" ] || tar -xzf build/gpu-check.tgz -C build
  LD_LIBRARY_PATH="$PWD/$out/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$out/bin/mnemo-cuda-check" --repeat 20 "$out"/tests/*
  ;;
*)
  echo "usage: $0 prepare|run" >&2
  exit 2
  ;;
esac
