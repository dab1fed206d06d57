// RUN: mnemo-opt --split-input-file %s | FileCheck %s
// RUN: mnemo-opt --split-input-file %s | mnemo-opt --split-input-file | FileCheck %s
// RUN: mnemo-opt --split-input-file --canonicalize %s | FileCheck %s --check-prefix=CANON

// If, Loop and Scan print and parse back; bodies read outer values
// directly (%x in the then branch).
// CHECK-LABEL: @if_op
// CHECK: graph.if %{{.*}} : tensor<i1> -> tensor<?xf32> {
// CHECK: graph.yield %{{.*}} : tensor<3xf32>
// CHECK: } else {
// CHECK: graph.yield %{{.*}} : tensor<5xf32>
func.func @if_op(%c: tensor<i1>, %x: tensor<3xf32>, %y: tensor<5xf32>) -> tensor<?xf32> {
  %0 = graph.if %c : tensor<i1> -> tensor<?xf32> {
    graph.yield %x : tensor<3xf32>
  } else {
    graph.yield %y : tensor<5xf32>
  }
  return %0 : tensor<?xf32>
}

// -----

// CHECK-LABEL: @loop_op
// CHECK: graph.loop(%{{.*}}, %{{.*}}, %{{.*}}) {trip_bound = 8 : i64} : (tensor<i64>, none, tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
// CHECK: ^bb0(%{{.*}}: tensor<i64>, %{{.*}}: tensor<i1>, %{{.*}}: tensor<2xf32>):
func.func @loop_op(%m: tensor<i64>, %x: tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  %none = graph.none
  %0:2 = graph.loop(%m, %none, %x) {trip_bound = 8 : i64} : (tensor<i64>, none, tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    %1 = graph.add %v, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    graph.yield %cond, %1, %v : tensor<i1>, tensor<2xf32>, tensor<2xf32>
  }
  return %0#0, %0#1 : tensor<2xf32>, tensor<?x2xf32>
}

// -----

// CHECK-LABEL: @scan_op
// CHECK: graph.scan(%{{.*}}, %{{.*}}) {num_scan_inputs = 1 : i64, scan_input_axes = [1], scan_output_directions = [1]} : (tensor<2xf32>, tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3x2xf32>)
func.func @scan_op(%s: tensor<2xf32>, %x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  %0:2 = graph.scan(%s, %x) {num_scan_inputs = 1 : i64, scan_input_axes = [1], scan_output_directions = [1]} : (tensor<2xf32>, tensor<2x3xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    %1 = graph.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    graph.yield %1, %1 : tensor<2xf32>, tensor<2xf32>
  }
  return %0#0, %0#1 : tensor<2xf32>, tensor<3x2xf32>
}

// -----

// An If on a constant condition is its taken branch (exporters make such
// Ifs out of shape checks).
// CANON-LABEL: @constant_if
// CANON-NOT: graph.if
// CANON: %[[R:.*]] = graph.relu %arg0
// CANON: return %[[R]]
func.func @constant_if(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = graph.constant dense<true> : tensor<i1>
  %0 = graph.if %c : tensor<i1> -> tensor<4xf32> {
    %1 = graph.relu %x : (tensor<4xf32>) -> tensor<4xf32>
    graph.yield %1 : tensor<4xf32>
  } else {
    %1 = graph.neg %x : (tensor<4xf32>) -> tensor<4xf32>
    graph.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
