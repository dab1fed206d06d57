// RUN: mnemo-opt %s --convert-graph-to-linalg --split-input-file | FileCheck %s

// Bicubic with zero padding: 4 x 4 taps, each read at indices clamped into
// the map and zeroed when outside it.
// CHECK-LABEL: @bicubic_zeros
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x3x3xf32>)
// CHECK-COUNT-2: tensor.extract %arg1
// CHECK: math.floor
// CHECK: math.floor
// CHECK-COUNT-16: tensor.extract %arg0
// CHECK-NOT: tensor.extract %arg0
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @bicubic_zeros(%x: tensor<1x2x4x5xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  %0 = graph.grid_sample %x, %g {mode = "cubic"} : (tensor<1x2x4x5xf32>, tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Nearest with reflection: rounded half to even, reflected into the
// borders, one read.
// CHECK-LABEL: @nearest_reflection
// CHECK: math.roundeven
// CHECK: math.trunc
// CHECK-COUNT-1: tensor.extract %arg0
// CHECK-NOT: tensor.extract %arg0
func.func @nearest_reflection(%x: tensor<1x1x4x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = graph.grid_sample %x, %g {mode = "nearest", padding_mode = "reflection", align_corners = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
