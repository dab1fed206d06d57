// RUN: mnemo-opt %s --convert-graph-to-linalg --split-input-file | FileCheck %s

// Broadcasting add: one parallel generic, the [4] operand read along the
// last dim.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
func.func @add_bcast(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3x4xf32> {
  %0 = graph.add %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Conv with bias and padding: tensor.pad, the bias broadcast as the
// accumulator, then the named NCHW convolution.
// CHECK-LABEL: func.func @conv
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = graph.conv %x, %w, %b {pads = [1, 1, 1, 1], strides = [2, 2]} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Depthwise (group == channels) uses the named depthwise op on [C, kh, kw].
// CHECK-LABEL: func.func @depthwise
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<8x1x3x3xf32> into tensor<8x3x3xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @depthwise(%x: tensor<1x8x6x6xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %none = graph.none
  %0 = graph.conv %x, %w, %none {group = 8 : i64} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>, none) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// [B, M, K] x [K, N] folds the batch into M for linalg.matmul.
// CHECK-LABEL: func.func @matmul_nd
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<6x4xf32>, tensor<4x5xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 3, 5]
func.func @matmul_nd(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = graph.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// Softmax: max reduction, exp of the difference, sum reduction, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = graph.softmax %x : (tensor<2x10xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

// Unsigned elements become signless and keep unsigned semantics. The
// inputs are the caller's: bufferization may not write into them.
// CHECK-LABEL: func.func @udiv
// CHECK-SAME: (%{{.*}}: tensor<4xi8> {bufferization.writable = false}, %{{.*}}: tensor<4xi8> {bufferization.writable = false}) -> tensor<4xi8>
// CHECK: arith.divui
func.func @udiv(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = graph.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// Shape arithmetic on small integer tensors is scalarized so the dims fold.
// CHECK-LABEL: func.func @shape_math
// CHECK-NOT: linalg.generic
// CHECK: tensor.dim
// CHECK: arith.addi
// CHECK: tensor.from_elements
func.func @shape_math(%x: tensor<?x4xf32>) -> tensor<2xi64> {
  %s = graph.shape %x : (tensor<?x4xf32>) -> tensor<2xi64>
  %one = graph.constant dense<1> : tensor<2xi64>
  %0 = graph.add %s, %one : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// A dynamic dim that may broadcast against a static one is read with a
// run-time index (0 when that dim is 1).
// CHECK-LABEL: func.func @runtime_bcast
// CHECK: linalg.generic
// CHECK: tensor.dim
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK: tensor.extract
func.func @runtime_bcast(%a: tensor<1x4xf32>, %b: tensor<?x?xf32>) -> tensor<?x4xf32> {
  %0 = graph.add %a, %b : (tensor<1x4xf32>, tensor<?x?xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Resize (nearest, asymmetric) reads the input at computed indices.
// CHECK-LABEL: func.func @resize_nearest
// CHECK: linalg.generic
// CHECK: math.floor
// CHECK: tensor.extract
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = graph.none
  %s = graph.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %0 = graph.resize %x, %none, %s, %none {coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// ConvTranspose is a gather over the output with a validity select.
// CHECK-LABEL: func.func @conv_transpose
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.remsi
// CHECK: tensor.extract
// CHECK: arith.select
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %none = graph.none
  %0 = graph.conv_transpose %x, %w, %none {strides = [2, 2], pads = [1, 1, 1, 1], output_padding = [1, 1]} : (tensor<1x2x3x3xf32>, tensor<2x4x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// ArgMax along a row of 64 (a multiple of 16 lanes): the row viewed as
// [4, 16], 16 lanes keep their own (best, index) with the lane loop
// parallel and innermost (vectorizable), then the lanes merge. A row of 60
// keeps the scalar (value, index) reduction.
// CHECK-LABEL: func.func @argmax_lanes
// CHECK: %[[EX:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [2, 4, 16]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[EX]] : tensor<2x4x16xf32>) outs({{.*}} : tensor<2x16xf32>, tensor<2x16xi64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins({{.*}} : tensor<2x16xf32>, tensor<2x16xi64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg1 : tensor<2x60xf32>)
func.func @argmax_lanes(%x: tensor<2x64xf32>, %y: tensor<2x60xf32>) -> (tensor<2xi64>, tensor<2xi64>) {
  %a = graph.arg_max %x {axis = 1 : i64, keepdims = 0 : i64} : (tensor<2x64xf32>) -> tensor<2xi64>
  %b = graph.arg_max %y {axis = 1 : i64, keepdims = 0 : i64} : (tensor<2x60xf32>) -> tensor<2xi64>
  return %a, %b : tensor<2xi64>, tensor<2xi64>
}
