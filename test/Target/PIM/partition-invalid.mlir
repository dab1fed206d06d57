// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --mnemo-pim-partition="force-pim=typo"

// A forced node that is not a Gemm of the function (a typo, or an
// attention MatMul, which goes with the KV cache) is an error.
// expected-error @below {{force-pim names 'typo', which is not a Gemm or MatMul node of @step}}
func.func @step(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64xf32>
  %none = graph.none
  %y = graph.gemm %x, %w, %none : (tensor<1x64xf32>, tensor<64x64xf32>, none) -> tensor<1x64xf32> loc("proj")
  return %y : tensor<1x64xf32>
}
