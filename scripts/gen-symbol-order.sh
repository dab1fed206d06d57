#!/usr/bin/env bash
# Regenerates cmake/mnemoc.symbol-order.gz, the order lld lays out the
# statically linked tools' functions in (cmake/StaticLLVM.cmake): callgrind
# profiles of build/bin/mnemoc compiling a CNN for three CPUs (Zen 4, Ice
# Lake server, x86-64-v3) and for CUDA and a transformer for the CPU,
# turned into symbol names by scripts/symbol-order.py. Needs valgrind and a
# static build (the default when lld-22 is installed); about 15 minutes on
# 2 cores. Rebuild after it.
#   bash scripts/gen-symbol-order.sh [CNN.onnx]
# (default CNN: MobileNetV2 as bench/bench_cpu.py exports it.)
set -euo pipefail
cd "$(dirname "$0")/.."
cnn="${1:-build/bench/mobilenet_v2/model.onnx}"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 1; }
[ -f "$cnn" ] || { echo "no $cnn: run bench/bench_cpu.py once, or name a CNN"; exit 1; }
readelf -h build/bin/mnemoc | grep -q "EXEC" ||
  { echo "build/bin/mnemoc is not a static non-PIE build (see cmake/StaticLLVM.cmake)"; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Valgrind 3.19 cannot read DWARF 5; the symbols stay.
/usr/lib/llvm-22/bin/llvm-strip --strip-debug -o "$tmp/mnemoc" build/bin/mnemoc
profile() {
  local name="$1"; shift
  echo "== profiling: mnemoc $*"
  valgrind -q --tool=callgrind --dump-instr=yes --compress-pos=no \
    --compress-strings=no --callgrind-out-file="$tmp/$name.cg" \
    "$tmp/mnemoc" "$@" -o "$tmp/out-$name" >/dev/null
}
# The CNN for named CPUs, not the host: valgrind's CPU has no AVX-512,
# so a host compile under it misses the code generator's AVX-512 paths
# (masked gathers, 512-bit shuffles), and the CPU's scheduling model
# decides passes (post-RA scheduling on Zen 4) and costs (epilogue
# vectorization). Profiled for x86-64-v4 alone, a znver4 machine's
# MobileNetV2 compile still ran 30 functions outside the ordered block,
# each mapping up to 64 KiB around it. AMD and Intel AVX-512 and AVX2.
profile cnn-znver4 "$cnn" --cpu=znver4
profile cnn-icelake "$cnn" --cpu=icelake-server
profile cnn-v3 "$cnn" --cpu=x86-64-v3
profile gpt-cpu examples/tiny_gpt.onnx
profile cnn-cuda "$cnn" --target=cuda
python3 scripts/symbol-order.py "$tmp/mnemoc" cmake/mnemoc.symbol-order.gz \
  "$tmp/cnn-znver4.cg" "$tmp/cnn-icelake.cg" "$tmp/cnn-v3.cg" \
  "$tmp/gpt-cpu.cg" "$tmp/cnn-cuda.cg"
