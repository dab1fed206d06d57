// RUN: mnemo-opt --split-input-file --verify-diagnostics --graph-infer-shapes %s | FileCheck %s
// RUN: not mnemo-opt --split-input-file --graph-infer-shapes="max-tensor-bytes=4096" %s 2>&1 | FileCheck %s --check-prefix=SMALL

// Shapes refined from constants are checked against the size limit: the
// shape chain below folds to a 2^20 x 2^20 reshape target, 4 TiB of f32.
func.func @refined_too_large(%x: tensor<1x1xf32>) -> tensor<?x?xf32> {
  %s = graph.constant dense<[1048576, 1048576]> : tensor<2xi64>
  // expected-error @+1 {{ONNX node '?' (Expand): output 0 has type 'tensor<1048576x1048576xf32>', 4398046511104 bytes: above the limit of 17179869184 bytes a tensor may hold (--max-tensor-bytes)}}
  %x2 = graph.expand %x, %s : (tensor<1x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %x2 : tensor<?x?xf32>
}

// -----

// Within the default limit nothing changes; under a 4096-byte limit a
// 64 x 64 f32 result (16 KiB) is an error.
// SMALL: error: ONNX node '?' (Expand): output 0 has type 'tensor<64x64xf32>', 16384 bytes: above the limit of 4096 bytes
// CHECK-LABEL: @within_limit
// CHECK-SAME: -> tensor<64x64xf32>
func.func @within_limit(%x: tensor<64x1xf32>) -> tensor<?x?xf32> {
  %s = graph.constant dense<[64, 64]> : tensor<2xi64>
  %y = graph.expand %x, %s : (tensor<64x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
