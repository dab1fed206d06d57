// RUN: mnemo-opt %s --split-input-file --convert-graph-to-linalg | FileCheck %s

// ConvInteger reads the 8-bit tensors themselves: x is padded with its
// zero point and read in place, each element is widened in the loop body
// (extui for u8, extsi for s8), the zero points are subtracted, and the
// product accumulates in i32, written straight into the [N, M, H, W]
// result (no group view to collapse). No i32 copy of x.
// CHECK-LABEL: func.func @conv_integer
// CHECK: %[[XZ:.*]] = tensor.extract %{{.*}}[] : tensor<i8>
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[XZ]] : i8
// CHECK: %[[XZ32:.*]] = arith.extui %[[XZ]] : i8 to i32
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x8x10x10xi8>, tensor<16x8x3x3xi8>)
// CHECK-SAME: outs(%{{.*}} : tensor<1x16x8x8xi32>)
// CHECK: ^bb0(%[[X:.*]]: i8, %[[W:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK: %[[XW:.*]] = arith.extui %[[X]] : i8 to i32
// CHECK: %[[XC:.*]] = arith.subi %[[XW]], %[[XZ32]] : i32
// CHECK: %[[WW:.*]] = arith.extsi %[[W]] : i8 to i32
// CHECK: %[[WC:.*]] = arith.subi %[[WW]], %{{.*}} : i32
// CHECK: %[[P:.*]] = arith.muli %[[XC]], %[[WC]] : i32
// CHECK: arith.addi %[[ACC]], %[[P]] : i32
func.func @conv_integer(%x: tensor<1x8x8x8xui8>, %w: tensor<16x8x3x3xi8>, %xz: tensor<ui8>, %wz: tensor<i8>) -> tensor<1x16x8x8xi32> {
  %y = graph.conv_integer %x, %w, %xz, %wz {pads = [1, 1, 1, 1]} : (tensor<1x8x8x8xui8>, tensor<16x8x3x3xi8>, tensor<ui8>, tensor<i8>) -> tensor<1x16x8x8xi32>
  return %y : tensor<1x16x8x8xi32>
}

// -----

// Depthwise with a zero point per output channel: read alongside the
// output channel, which is also x's channel.
// CHECK-LABEL: func.func @depthwise_per_channel
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x16x10x10xi8>, tensor<16x1x3x3xi8>, tensor<16xi8>)
// CHECK: ^bb0(%{{.*}}: i8, %{{.*}}: i8, %[[WZ:.*]]: i8, %{{.*}}: i32):
// CHECK: arith.extsi %[[WZ]] : i8 to i32
func.func @depthwise_per_channel(%x: tensor<1x16x8x8xi8>, %w: tensor<16x1x3x3xi8>, %xz: tensor<i8>, %wz: tensor<16xi8>) -> tensor<1x16x8x8xi32> {
  %y = graph.conv_integer %x, %w, %xz, %wz {group = 16 : i64, pads = [1, 1, 1, 1]} : (tensor<1x16x8x8xi8>, tensor<16x1x3x3xi8>, tensor<i8>, tensor<16xi8>) -> tensor<1x16x8x8xi32>
  return %y : tensor<1x16x8x8xi32>
}

// -----

// MatMulInteger against a 2-D weight: one contraction over (batch, m, n, k)
// read from the 8-bit tensors, the per-column zero point at n.
// CHECK: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK: #[[Z:.*]] = affine_map<(d0, d1, d2, d3) -> (d2)>
// CHECK-LABEL: func.func @matmul_integer
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[Z]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x5x33xi8>, tensor<33x7xi8>, tensor<7xi8>)
// CHECK-SAME: outs(%{{.*}} : tensor<2x5x7xi32>)
// CHECK: arith.extui
// CHECK: arith.extsi
func.func @matmul_integer(%a: tensor<2x5x33xui8>, %b: tensor<33x7xi8>, %bz: tensor<7xi8>) -> tensor<2x5x7xi32> {
  %n = graph.none
  %y = graph.matmul_integer %a, %b, %n, %bz : (tensor<2x5x33xui8>, tensor<33x7xi8>, none, tensor<7xi8>) -> tensor<2x5x7xi32>
  return %y : tensor<2x5x7xi32>
}

// -----

// A transposed weight ([N, K] under graph.transpose, what a Gemm with
// transB folds to) is read in place through the indexing map; the
// transpose is left dead (canonicalization erases it).
// CHECK: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @matmul_integer_transposed
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BT]], #{{.*}}]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x96xi8>, tensor<40x96xi8>)
func.func @matmul_integer_transposed(%a: tensor<4x96xui8>, %w: tensor<40x96xi8>) -> tensor<4x40xi32> {
  %n = graph.none
  %t = graph.transpose %w : (tensor<40x96xi8>) -> tensor<96x40xi8>
  %y = graph.matmul_integer %a, %t, %n, %n : (tensor<4x96xui8>, tensor<96x40xi8>, none, none) -> tensor<4x40xi32>
  return %y : tensor<4x40xi32>
}
