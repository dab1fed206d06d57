// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s

// The k smallest of each row: the results are the sorted buffer; element j
// walks slots 0 .. min(j, k-1), taking an empty slot (p >= j) or one it
// beats strictly (equal elements keep index order) and carrying the
// displaced element on.
// CHECK-LABEL: @top_k_smallest
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[I0:.*]] = tensor.empty() : tensor<2x3xi64>
// CHECK: scf.for %[[ROW:[a-z0-9_]+]] = {{.*}} iter_args({{.*}} = %[[V0]], {{.*}} = %[[I0]])
// CHECK: scf.for %[[J:[a-z0-9_]+]] = %c0 to %c6
// CHECK: %[[X:.*]] = tensor.extract %arg0[%[[ROW]], %[[J]]] : tensor<2x6xf32>
// CHECK: %[[LAST:.*]] = arith.minsi %[[J]], %c2
// CHECK: %[[END:.*]] = arith.addi %[[LAST]], %c1
// CHECK: scf.for %[[P:[a-z0-9_]+]] = %c0 to %[[END]] {{.*}} -> (tensor<2x3xf32>, tensor<2x3xi64>, f32, i64)
// CHECK: %[[EMPTY:.*]] = arith.cmpi sge, %[[P]], %[[J]]
// CHECK: %[[BEATS:.*]] = arith.cmpf olt
// CHECK: %[[TAKE:.*]] = arith.ori %[[EMPTY]], %[[BEATS]]
// CHECK: tensor.insert {{.*}}[%[[ROW]], %[[P]]] : tensor<2x3xf32>
// CHECK: tensor.insert {{.*}}[%[[ROW]], %[[P]]] : tensor<2x3xi64>
func.func @top_k_smallest(%x: tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xi64>) {
  %k = graph.constant dense<3> : tensor<1xi64>
  %0:2 = graph.top_k %x, %k {largest = 0 : i64} : (tensor<2x6xf32>, tensor<1xi64>) -> (tensor<2x3xf32>, tensor<2x3xi64>)
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x3xi64>
}
