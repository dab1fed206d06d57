// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --infer-shapes | mnemo-opt --mnemo-patch-geometry -o /dev/null | FileCheck %s --check-prefix=LIST
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --infer-shapes | mnemo-opt --mnemo-patch-geometry="cut=1 patches=2" -o /dev/null | FileCheck %s --check-prefix=DETAIL
// RUN: mnemo-opt %s --split-input-file --mnemo-patch-geometry="cut=3" -verify-diagnostics -o /dev/null

// The example model's stage: stem conv (stride 2), a residual depthwise
// block, a 2x2 max pool. Two cut points: after the stem (only its output
// is live) and after the pool (the residual add has consumed the block
// input).
// LIST: patch geometry: 11 spatial layers, 2 cut points
// LIST: 0      0  32x32
// LIST: 1      6  16x16  13.5%

// 2x2 patches of the 16x16 pool output: 8x8 tiles; the pool needs 16x16,
// the 3x3 depthwise 18x18 of the stem output (the residual add only
// 16x16), and the stride-2 stem a 37x37 input patch, every 32 pixels.
// DETAIL: patch geometry: cut after layer 6 (graph.max_pool#6), 2x2 patches
// DETAIL-NEXT: stage output: 16x16
// DETAIL-NEXT: tile: 8x8
// DETAIL-NEXT: input patch: 37x37
// DETAIL-NEXT: patch stride: 32x32
// DETAIL-NEXT: stage MACs: 868352, with patches: 985856, extra: 13.5%
// DETAIL-NEXT: graph.conv#0: 18x18 of 32x32
// DETAIL: graph.conv#2: 16x16 of 32x32
// DETAIL: graph.max_pool#6: 8x8 of 16x16

// expected-error @+1 {{cut 3 out of range: the stage has 1 cut points}}
func.func @main_graph(%x: tensor<1x3x16x16xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %none = graph.none
  %y = graph.conv %x, %w, %none {kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : (tensor<1x3x16x16xf32>, tensor<4x3x3x3xf32>, none) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// expected-error @+1 {{no spatial stage: the entry has no 4-d image input feeding convolutions}}
func.func @main_graph(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  return %x : tensor<4x8xf32>
}
