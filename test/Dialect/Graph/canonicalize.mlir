// RUN: mnemo-opt --split-input-file --canonicalize %s | FileCheck %s
// RUN: mnemo-opt --split-input-file --graph-infer-shapes %s | FileCheck %s --check-prefix=INFER

// The exporter's Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain
// collapses to a constant shape when the input shape is static.
// CHECK-LABEL: @shape_chain
// INFER-LABEL: @shape_chain
// INFER-SAME: -> tensor<2x12xf32>
func.func @shape_chain(%x: tensor<2x3x4xf32>) -> tensor<?x?xf32> {
  %s = graph.shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = graph.constant dense<0> : tensor<i64>
  %d0 = graph.gather %s, %i : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %ax = graph.constant dense<[0]> : tensor<1xi64>
  %u = graph.unsqueeze %d0, %ax : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %m1 = graph.constant dense<[-1]> : tensor<1xi64>
  %cat = graph.concat %u, %m1 {axis = 0} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  // CHECK: %[[C:.+]] = graph.constant dense<[2, -1]> : tensor<2xi64>
  // Canonicalization leaves returned values' types to graph-infer-shapes.
  // CHECK: graph.reshape %{{.*}}, %[[C]] : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  // CHECK-NOT: graph.shape
  // CHECK-NOT: graph.gather
  // CHECK-NOT: graph.concat
  %r = graph.reshape %x, %cat : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  // INFER: graph.reshape {{.*}} -> tensor<2x12xf32>
  // INFER-NEXT: return {{.*}} : tensor<2x12xf32>
  return %r : tensor<?x?xf32>
}

// -----

// Dynamic dims stay symbolic; the static part still folds.
// CHECK-LABEL: @dynamic_dim
// INFER-LABEL: @dynamic_dim
func.func @dynamic_dim(%x: tensor<?x8xf32>) -> tensor<?x?xf32> {
  %s = graph.shape %x : (tensor<?x8xf32>) -> tensor<2xi64>
  %i = graph.constant dense<1> : tensor<1xi64>
  // CHECK-NOT: graph.gather
  %d = graph.gather %s, %i : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m1 = graph.constant dense<[-1]> : tensor<1xi64>
  %cat = graph.concat %m1, %d {axis = 0} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  // CHECK: %[[S:.+]] = graph.constant dense<[-1, 8]>
  // CHECK: graph.reshape %arg0, %[[S]]
  // INFER: graph.reshape {{.*}} -> tensor<?x8xf32>
  %r = graph.reshape %x, %cat : (tensor<?x8xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: @identity_dropout
func.func @identity_dropout(%x: tensor<4xf32>) -> tensor<4xf32> {
  %n = graph.none
  %a = graph.identity %x : (tensor<4xf32>) -> tensor<4xf32>
  %b = graph.dropout %a, %n, %n : (tensor<4xf32>, none, none) -> tensor<4xf32>
  // CHECK-NEXT: return %arg0
  return %b : tensor<4xf32>
}

// -----

// Integer shape arithmetic folds: (d * 2) where d == -1 -> 1.
// CHECK-LABEL: @int_arith
func.func @int_arith() -> tensor<2xi64> {
  %a = graph.constant dense<[3, -1]> : tensor<2xi64>
  %two = graph.constant dense<2> : tensor<i64>
  %m = graph.mul %a, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %neg = graph.constant dense<-2> : tensor<i64>
  %eq = graph.equal %m, %neg : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
  %one = graph.constant dense<1> : tensor<i64>
  %w = graph.where %eq, %one, %m : (tensor<2xi1>, tensor<i64>, tensor<2xi64>) -> tensor<2xi64>
  // CHECK-NEXT: %[[C:.+]] = graph.constant dense<[6, 1]> : tensor<2xi64>
  // CHECK-NEXT: return %[[C]]
  return %w : tensor<2xi64>
}

// -----

// Reshape of reshape keeps only the outer one.
// CHECK-LABEL: @reshape_chain
func.func @reshape_chain(%x: tensor<2x6xf32>) -> tensor<3x4xf32> {
  %s1 = graph.constant dense<[12]> : tensor<1xi64>
  %s2 = graph.constant dense<[3, 4]> : tensor<2xi64>
  %a = graph.reshape %x, %s1 : (tensor<2x6xf32>, tensor<1xi64>) -> tensor<12xf32>
  // CHECK: graph.reshape %arg0, %{{.*}} : (tensor<2x6xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  %b = graph.reshape %a, %s2 : (tensor<12xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  return %b : tensor<3x4xf32>
}
