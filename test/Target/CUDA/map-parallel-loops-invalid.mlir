// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-map-parallel-loops{block-size=100}))"

// A block size that is not a whole number of warps.
// expected-error @below {{block-size must be a multiple of 32 in [32, 1024], got 100}}
func.func @bad_block(%a: memref<4xf32>, %c: memref<4xf32>) {
  memref.copy %a, %c : memref<4xf32> to memref<4xf32>
  return
}
