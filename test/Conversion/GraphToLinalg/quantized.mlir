// RUN: mnemo-opt %s --split-input-file --convert-graph-to-linalg | FileCheck %s

// ConvInteger reads the 8-bit tensors themselves: x is padded with its
// zero point and read in place (channel g * cg + c), each element is widened
// in the loop body (extui for u8, extsi for s8), the zero points are
// subtracted, and the product accumulates in i32. No i32 copy of x.
// CHECK-LABEL: func.func @conv_integer
// CHECK: %[[XZ:.*]] = tensor.extract %{{.*}}[] : tensor<i8>
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[XZ]] : i8
// CHECK: %[[XZ32:.*]] = arith.extui %[[XZ]] : i8 to i32
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x8x10x10xi8>, tensor<1x16x8x3x3xi8>)
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x16x8x8xi32>)
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
// output channel ([16] as [group, 1]).
// CHECK-LABEL: func.func @depthwise_per_channel
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x16x10x10xi8>, tensor<16x1x1x3x3xi8>, tensor<16x1xi8>)
// CHECK: ^bb0(%{{.*}}: i8, %{{.*}}: i8, %[[WZ:.*]]: i8, %{{.*}}: i32):
// CHECK: arith.extsi %[[WZ]] : i8 to i32
func.func @depthwise_per_channel(%x: tensor<1x16x8x8xi8>, %w: tensor<16x1x3x3xi8>, %xz: tensor<i8>, %wz: tensor<16xi8>) -> tensor<1x16x8x8xi32> {
  %y = graph.conv_integer %x, %w, %xz, %wz {group = 16 : i64, pads = [1, 1, 1, 1]} : (tensor<1x16x8x8xi8>, tensor<16x1x3x3xi8>, tensor<i8>, tensor<16xi8>) -> tensor<1x16x8x8xi32>
  return %y : tensor<1x16x8x8xi32>
}
