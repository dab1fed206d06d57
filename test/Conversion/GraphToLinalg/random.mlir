// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s

// One parallel generic per random op: the row-major index of each element
// (run-time sizes from `like`), splitmix64 with the seed, the top 24 bits
// as a float in [0, 1) scaled into [low, high).
// CHECK-LABEL: @uniform
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.muli
// CHECK: arith.shrui {{.*}}, %c40_i64
// CHECK: arith.uitofp {{.*}} : i64 to f32
// CHECK: arith.mulf {{.*}}, %cst
// CHECK: arith.addf
// CHECK: linalg.yield {{.*}} : f32
func.func @uniform() -> tensor<3x4xf32> {
  %n = graph.none
  %0 = graph.random_uniform %n {dtype = f32, seed = 7 : i64, shape = array<i64: 3, 4>, low = -1.0, high = 3.0} : (none) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// f64 draws take 53 bits.
// CHECK-LABEL: @uniform_f64
// CHECK: arith.shrui {{.*}}, %c11_i64
// CHECK: arith.uitofp {{.*}} : i64 to f64
func.func @uniform_f64() -> tensor<5xf64> {
  %n = graph.none
  %0 = graph.random_uniform %n {dtype = f64, seed = 1 : i64, shape = array<i64: 5>} : (none) -> tensor<5xf64>
  return %0 : tensor<5xf64>
}

// Box-Muller on the hash's halves, drawn in f32 and rounded to f16; the
// dynamic dim's size comes from the `like` input and enters the index.
// CHECK-LABEL: @normal_like
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf16>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK: tensor.empty(%[[N]]) : tensor<?x4xf16>
// CHECK: linalg.generic
// CHECK-NOT: ins(
// CHECK: math.log
// CHECK: math.sqrt
// CHECK: math.cos
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: linalg.yield {{.*}} : f16
func.func @normal_like(%x: tensor<?x4xf16>) -> tensor<?x4xf16> {
  %0 = graph.random_normal %x {dtype = f16, seed = 2 : i64, mean = 2.0, scale = 0.5} : (tensor<?x4xf16>) -> tensor<?x4xf16>
  return %0 : tensor<?x4xf16>
}
