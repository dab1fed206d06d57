// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-flash-attention{smem-budget=1024}))"

// The smallest tile (one query row, 16 keys) of head dim 64 needs 8520
// bytes of shared memory: Q 1 x 65, K^T 64 x 16, V 16 x 64, P 1 x 17.
func.func @too_small(%q: tensor<1x2x100x64xf32>, %kt: tensor<1x2x64x100xf32>, %v: tensor<1x2x100x64xf32>) -> tensor<1x2x100x64xf32> {
  %none = graph.none
  // expected-error @below {{no FlashAttention tile fits --smem-budget=1024 bytes; the smallest needs 8520}}
  %a = graph.attention %q, %kt, %v, %none {scale = 1.250000e-01 : f64} : (tensor<1x2x100x64xf32>, tensor<1x2x64x100xf32>, tensor<1x2x100x64xf32>, none) -> tensor<1x2x100x64xf32>
  return %a : tensor<1x2x100x64xf32>
}
