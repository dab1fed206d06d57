// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s

// Det per matrix of the batch: elimination over columns k, the pivot row
// the largest |a[i, k]| (i >= k), a row swap negating the product of the
// pivots, eliminations skipped (factor 0) below a zero pivot.
// CHECK-LABEL: @det_batch
// CHECK: scf.for %[[B:[a-z0-9_]+]] = %c0 to %c2 {{.*}} -> (tensor<2xf32>)
// CHECK: %[[M:.*]] = tensor.extract_slice %arg0[%[[B]], 0, 0] [1, 3, 3] [1, 1, 1] : tensor<2x3x3xf32> to tensor<3x3xf32>
// CHECK: scf.for %[[K:[a-z0-9_]+]] = %c0 to %c3 {{.*}} iter_args({{.*}} = %[[M]], {{.*}} = %cst{{.*}}) -> (tensor<3x3xf32>, f32)
// CHECK: math.absf
// CHECK: arith.cmpf ogt
// CHECK: arith.negf
// CHECK: arith.cmpf oeq
// CHECK: arith.divf
// CHECK: tensor.insert {{.*}}[%[[B]]] : tensor<2xf32>
func.func @det_batch(%x: tensor<2x3x3xf32>) -> tensor<2xf32> {
  %0 = graph.det %x : (tensor<2x3x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// Training-mode dropout with run-time ratio and mode: a generic hashing
// (seed, row-major index) per element; kept elements scaled by
// 1 / (1 - ratio), the mask the same decision.
// CHECK-LABEL: @dropout_training
// CHECK: %[[R:.*]] = tensor.extract %arg1[] : tensor<f32>
// CHECK: %[[T:.*]] = tensor.extract %arg2[] : tensor<i1>
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: arith.shrui
// CHECK: arith.uitofp
// CHECK: %[[KEEP:.*]] = arith.cmpf oge, {{.*}}, %[[R]]
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: arith.cmpf oge
// CHECK: linalg.yield {{.*}} : i1
func.func @dropout_training(%x: tensor<4x5xf32>, %r: tensor<f32>, %t: tensor<i1>) -> (tensor<4x5xf32>, tensor<4x5xi1>) {
  %0 = graph.dropout %x, %r, %t {seed = 3 : i64} : (tensor<4x5xf32>, tensor<f32>, tensor<i1>) -> tensor<4x5xf32>
  %1 = graph.dropout_mask %x, %r, %t {seed = 3 : i64} : (tensor<4x5xf32>, tensor<f32>, tensor<i1>) -> tensor<4x5xi1>
  return %0, %1 : tensor<4x5xf32>, tensor<4x5xi1>
}

// MaxPool's Indices: per output element a window loop keeping the first
// strictly greater in-range value's flat offset; storage_order 1 makes
// the spatial offsets column-major (h + 5 w within a 5x5 plane).
// CHECK-LABEL: @max_pool_indices
// CHECK: scf.for {{.*}} = %c0 to %c2
// CHECK: scf.for {{.*}} = %c0 to %c2
// CHECK: scf.for {{.*}} = %c0 to %c2 {{.*}} -> (f32, i64)
// CHECK: scf.for {{.*}} = %c0 to %c2 {{.*}} -> (f32, i64)
// CHECK: arith.cmpf ogt
// CHECK: arith.muli {{.*}}, %c5
// CHECK: tensor.insert {{.*}} : tensor<1x1x2x2xi64>
func.func @max_pool_indices(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x2x2xi64> {
  %0 = graph.max_pool_indices %x {kernel_shape = [2, 2], strides = [2, 2], storage_order = 1 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x2x2xi64>
  return %0 : tensor<1x1x2x2xi64>
}
