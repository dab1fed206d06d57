// RUN: mnemo-opt --split-input-file %s | FileCheck %s
// RUN: mnemo-opt --split-input-file %s | mnemo-opt --split-input-file | FileCheck %s

// CHECK-LABEL: @conv_pool
func.func @conv_pool(%x: tensor<1x3x224x224xf32>, %w: tensor<32x3x3x3xf32>, %b: tensor<32xf32>) -> tensor<1x32x56x56xf32> {
  // CHECK: graph.conv %{{.*}} {pads = [1, 1, 1, 1], strides = [2, 2]} : (tensor<1x3x224x224xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x112x112xf32>
  %c = graph.conv %x, %w, %b {strides = [2, 2], pads = [1, 1, 1, 1]} : (tensor<1x3x224x224xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x112x112xf32>
  // CHECK: graph.max_pool
  %p = graph.max_pool %c {kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]} : (tensor<1x32x112x112xf32>) -> tensor<1x32x56x56xf32>
  return %p : tensor<1x32x56x56xf32>
}

// -----

// CHECK-LABEL: @depthwise_dynamic
func.func @depthwise_dynamic(%x: tensor<?x32x?x?xf32>, %w: tensor<32x1x3x3xf32>) -> tensor<?x32x?x?xf32> {
  %n = graph.none
  // CHECK: graph.conv {{.*}} -> tensor<?x32x?x?xf32>
  %c = graph.conv %x, %w, %n {group = 32, pads = [1, 1, 1, 1]} : (tensor<?x32x?x?xf32>, tensor<32x1x3x3xf32>, none) -> tensor<?x32x?x?xf32>
  return %c : tensor<?x32x?x?xf32>
}

// -----

// CHECK-LABEL: @broadcast
func.func @broadcast(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %c: tensor<?x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x?x4xi1>) {
  // CHECK: graph.add {{.*}} -> tensor<2x3x4xf32>
  %0 = graph.add %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: graph.less {{.*}} -> tensor<2x?x4xi1>
  %1 = graph.less %a, %c : (tensor<2x1x4xf32>, tensor<?x4xf32>) -> tensor<2x?x4xi1>
  return %0, %1 : tensor<2x3x4xf32>, tensor<2x?x4xi1>
}

// -----

// CHECK-LABEL: @matmul_gemm
func.func @matmul_gemm(%a: tensor<4x1x8x16xf32>, %b: tensor<3x16x5xf32>, %v: tensor<16xf32>, %m: tensor<16x32xf32>, %n: tensor<10x32xf32>) -> (tensor<4x3x8x5xf32>, tensor<32xf32>, tensor<16x10xf32>) {
  %0 = graph.matmul %a, %b : (tensor<4x1x8x16xf32>, tensor<3x16x5xf32>) -> tensor<4x3x8x5xf32>
  %1 = graph.matmul %v, %m : (tensor<16xf32>, tensor<16x32xf32>) -> tensor<32xf32>
  %none = graph.none
  // CHECK: graph.gemm {{.*}} {transB = 1 : i64} {{.*}} -> tensor<16x10xf32>
  %2 = graph.gemm %m, %n, %none {transB = 1} : (tensor<16x32xf32>, tensor<10x32xf32>, none) -> tensor<16x10xf32>
  return %0, %1, %2 : tensor<4x3x8x5xf32>, tensor<32xf32>, tensor<16x10xf32>
}

// -----

// CHECK-LABEL: @shapes
func.func @shapes(%x: tensor<2x3x4xf32>) -> (tensor<4x3x2xf32>, tensor<2x12xf32>, tensor<1x2x3x4xf32>, tensor<2x3xf32>) {
  // CHECK: graph.transpose {{.*}} -> tensor<4x3x2xf32>
  %t = graph.transpose %x : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %f = graph.flatten %x : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %axes = graph.constant dense<[0]> : tensor<1xi64>
  %u = graph.unsqueeze %x, %axes : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<1x2x3x4xf32>
  %ax2 = graph.constant dense<[2]> : tensor<1xi64>
  // CHECK: graph.reduce_mean {{.*}} {keepdims = 0 : i64} {{.*}} -> tensor<2x3xf32>
  %r = graph.reduce_mean %x, %ax2 {keepdims = 0} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3xf32>
  return %t, %f, %u, %r : tensor<4x3x2xf32>, tensor<2x12xf32>, tensor<1x2x3x4xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: @split_slice
func.func @split_slice(%x: tensor<1x1x192xf32>) -> (tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x32xf32>) {
  %n = graph.none
  // CHECK: graph.split {{.*}} -> (tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>)
  %s:3 = graph.split %x, %n {axis = 2, num_outputs = 3} : (tensor<1x1x192xf32>, none) -> (tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>)
  %st = graph.constant dense<[-64]> : tensor<1xi64>
  %en = graph.constant dense<[9223372036854775807]> : tensor<1xi64>
  %ax = graph.constant dense<[2]> : tensor<1xi64>
  %sp = graph.constant dense<[2]> : tensor<1xi64>
  // CHECK: graph.slice {{.*}} -> tensor<1x1x32xf32>
  %sl = graph.slice %x, %st, %en, %ax, %sp : (tensor<1x1x192xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x32xf32>
  return %s#0, %s#1, %s#2, %sl : tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x32xf32>
}

// -----

// A result may be more static than the shape function can prove.
// CHECK-LABEL: @refined_result
func.func @refined_result(%x: tensor<?x4xf32>) -> tensor<2x4xf32> {
  // CHECK: graph.relu {{.*}} -> tensor<2x4xf32>
  %0 = graph.relu %x : (tensor<?x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: @generic
func.func @generic(%x: tensor<4xf32>) -> tensor<*xf32> {
  // CHECK: graph.onnx_node "TopK"(%{{.*}}) {domain = "", onnx_attributes = {axis = 0 : i64}, opset = 18 : i64}
  %0 = graph.onnx_node "TopK"(%x) {domain = "", opset = 18, onnx_attributes = {axis = 0 : i64}} : (tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Activations added with their lowering (conformance covers their values).
// CHECK-LABEL: func.func @activations
// CHECK: graph.selu
// CHECK: graph.prelu
// CHECK: graph.shrink
func.func @activations(%x: tensor<2x3x4xf32>, %s: tensor<3x1x1xf32>) -> tensor<2x3x4xf32> {
  %0 = graph.selu %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %1 = graph.prelu %0, %s : (tensor<2x3x4xf32>, tensor<3x1x1xf32>) -> tensor<2x3x4xf32>
  %2 = graph.shrink %1 {lambd = 1.0 : f32} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %2 : tensor<2x3x4xf32>
}
