// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s
// RUN: mnemo-opt %s --mnemo-graph-to-linalg --mnemo-cpu-bufferize | FileCheck %s --check-prefix=BUF

// CHECK: llvm.mlir.global internal thread_local @__mnemo_run_status(0 : i32)

// If: scf.if on the condition's element; the bodies move in as they are.
// CHECK-LABEL: @if_lower
// CHECK: %[[C:.*]] = tensor.extract %arg0[] : tensor<i1>
// CHECK: scf.if %[[C]] -> (tensor<4xf32>)
// CHECK: arith.maximumf
// CHECK: scf.yield
// CHECK: } else {
// CHECK: arith.negf
// CHECK: scf.yield
func.func @if_lower(%c: tensor<i1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.if %c : tensor<i1> -> tensor<4xf32> {
    %1 = graph.relu %x : (tensor<4xf32>) -> tensor<4xf32>
    graph.yield %1 : tensor<4xf32>
  } else {
    %1 = graph.neg %x : (tensor<4xf32>) -> tensor<4xf32>
    graph.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// Scan: scf.for over the scan axis (here dim 1, read backwards); each
// step's slice is a view of the input, the scan value goes into its row of
// the stacked output, and the state is copied into the carried tensor so
// that bufferization keeps one buffer for it.
// CHECK-LABEL: @scan_lower
// CHECK: %[[ACC:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK: scf.for %[[T:.*]] = %c0 to %c3 step %c1 iter_args(%[[S:.*]] = %arg0, %[[A:.*]] = %[[ACC]])
// CHECK: %[[R:.*]] = arith.subi %c2, %[[T]] : index
// CHECK: %[[X:.*]] = tensor.extract_slice %arg1[0, %[[R]]] [2, 1] [1, 1] : tensor<2x3xf32> to tensor<2xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[X]] : tensor<2xf32>, tensor<2xf32>)
// CHECK: %[[ROW:.*]] = tensor.insert_slice %[[SUM]] into %[[A]][%[[T]], 0] [1, 2] [1, 1]
// CHECK: %[[NEXT:.*]] = linalg.copy ins(%[[SUM]] : tensor<2xf32>) outs(%[[S]] : tensor<2xf32>)
// CHECK: scf.yield %[[NEXT]], %[[ROW]]
func.func @scan_lower(%s: tensor<2xf32>, %x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  %0:2 = graph.scan(%s, %x) {num_scan_inputs = 1 : i64, scan_input_axes = [1], scan_input_directions = [1], scan_output_axes = [0], scan_output_directions = [0]} : (tensor<2xf32>, tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    %1 = graph.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    graph.yield %1, %1 : tensor<2xf32>, tensor<2xf32>
  }
  return %0#0, %0#1 : tensor<2xf32>, tensor<3x2xf32>
}

// Loop: scf.while on i < M and cond; the scan output is an accumulator of
// trip_bound rows, the result its first `count` rows (clamped for the
// planner's size bounds). An iteration past the bound stops the loop and
// stores status 9 in the thread-local run status (the global heads the
// module).
// CHECK-LABEL: @loop_lower
// CHECK-SAME: %arg2: tensor<2xf32> {bufferization.writable = false}
// CHECK-DAG: %[[M:.*]] = tensor.extract %arg0[] : tensor<i64>
// CHECK-DAG: %[[C0:.*]] = tensor.extract %arg1[] : tensor<i1>
// CHECK-DAG: %[[ACC:.*]] = tensor.empty() : tensor<8x2xf32>
// CHECK: %[[W:.*]]:3 = scf.while (%[[I:.*]] = %c0_i64, %[[V:.*]] = %arg2, %[[A:.*]] = %[[ACC]])
// CHECK: %[[LT:.*]] = arith.cmpi slt, %[[I]], %[[M]] : i64
// CHECK: %[[GO:.*]] = arith.andi %[[LT]], %[[C0]] : i1
// CHECK: %[[PAST:.*]] = arith.cmpi sge, %[[I]], %c8_i64 : i64
// CHECK: %[[OVER:.*]] = arith.andi %[[GO]], %[[PAST]] : i1
// CHECK: scf.if %[[OVER]] {
// CHECK: llvm.store %c9_i32
// CHECK: scf.condition
// CHECK: } do {
// CHECK: linalg.generic
// CHECK: tensor.insert_slice {{.*}} into {{.*}}[%{{.*}}, 0] [1, 2] [1, 1] : tensor<2xf32> into tensor<8x2xf32>
// CHECK: linalg.copy
// CHECK: %[[N:.*]] = arith.index_cast %[[W]]#0 : i64 to index
// CHECK: %[[MIN:.*]] = arith.minsi %[[N]], %c8 : index
// CHECK: %[[CNT:.*]] = arith.maxsi %[[MIN]], %c0 : index
// CHECK: tensor.extract_slice %[[W]]#2[0, 0] [%[[CNT]], 2] [1, 1] : tensor<8x2xf32> to tensor<?x2xf32>

// After bufferization the carried value and the accumulator are one
// buffer each, updated in place (the while loop carries only i); the input
// that seeds the carried value is copied first (the caller's inputs are
// read-only).
// BUF-LABEL: @loop_lower
// BUF: %[[ACC:.*]] = memref.alloc() {{.*}} : memref<8x2xf32>
// BUF: %[[V:.*]] = memref.alloc() {{.*}} : memref<2xf32>
// BUF: memref.copy %arg2, %[[V]]
// BUF: scf.while ({{.*}}) : (i64) -> i64
// BUF: } do {
// BUF: %[[T:.*]] = memref.alloc() {{.*}} : memref<2xf32>
// BUF: linalg.generic {{.*}} ins(%[[V]], %arg2 : memref<2xf32>, memref<2xf32>) outs(%[[T]] : memref<2xf32>)
// BUF: %[[ROW:.*]] = memref.subview %[[ACC]]
// BUF: memref.copy %[[V]], %[[ROW]]
// BUF: linalg.copy ins(%[[T]] : memref<2xf32>) outs(%[[V]] : memref<2xf32>)
func.func @loop_lower(%m: tensor<i64>, %c: tensor<i1>, %x: tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  %0:2 = graph.loop(%m, %c, %x) {trip_bound = 8 : i64} : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    %1 = graph.add %v, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    graph.yield %cond, %1, %v : tensor<i1>, tensor<2xf32>, tensor<2xf32>
  }
  return %0#0, %0#1 : tensor<2xf32>, tensor<?x2xf32>
}
