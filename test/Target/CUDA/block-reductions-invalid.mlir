// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-block-reductions{block-size=48}))"

// Warps are 32 threads: a block of 48 cannot be combined by shuffles.
// expected-error @below {{block-size must be a multiple of 32 in [32, 1024], got 48}}
func.func @bad_block(%x: memref<4x4096xf32>, %out: memref<4xf32>) {
  return
}
