// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-row-kernels{block-size=48}))"

// Warps are 32 threads: a block of 48 cannot be combined by shuffles.
// expected-error @below {{block-size must be a multiple of 32 in [32, 1024], got 48}}
func.func @bad_block(%x: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %y = graph.softmax %x {axis = -1 : i64} : (tensor<4x100xf32>) -> tensor<4x100xf32>
  return %y : tensor<4x100xf32>
}
