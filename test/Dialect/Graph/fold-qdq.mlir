// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(graph-fold-qdq))' | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(graph-fold-qdq))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// Q(Conv(DQ x, DQ w, b)) -> QLinearConv; the float bias [0.5, -1.0] at
// x_scale * w_scale = 0.1 * [0.5, 0.25] becomes int32 [10, -40].
// REPORT: remark: qdq: 1 layers folded into integer ops, 0 elementwise between 8-bit tensors, 0 left in float
// CHECK-LABEL: func.func @conv
// CHECK: %[[B:.*]] = graph.constant dense<[10, -40]> : tensor<2xi32>
// CHECK: %[[Y:.*]] = graph.qlinear_conv %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[B]] {pads = [1, 1, 1, 1]}
// CHECK-SAME: -> tensor<1x2x4x4xui8>
// CHECK: return %[[Y]]
func.func @conv(%x: tensor<1x3x4x4xui8>) -> tensor<1x2x4x4xui8> {
  %xs = graph.constant dense<0.1> : tensor<f32>
  %xz = graph.constant dense<128> : tensor<ui8>
  %w = graph.constant dense<1> : tensor<2x3x3x3xi8>
  %ws = graph.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %wz = graph.constant dense<0> : tensor<2xi8>
  %b = graph.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %ys = graph.constant dense<0.2> : tensor<f32>
  %yz = graph.constant dense<0> : tensor<ui8>
  %dx = graph.dequantize_linear %x, %xs, %xz : (tensor<1x3x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x3x4x4xf32>
  %dw = graph.dequantize_linear %w, %ws, %wz {axis = 0 : i64} : (tensor<2x3x3x3xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x3x3x3xf32>
  %c = graph.conv %dx, %dw, %b {pads = [1, 1, 1, 1]} : (tensor<1x3x4x4xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %q = graph.quantize_linear %c, %ys, %yz : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  return %q : tensor<1x2x4x4xui8>
}

// -----

// MaxPool between a DQ and a Q of the same scale and zero point runs on
// the 8-bit values; with another output scale it stays in float.
// REPORT: remark: qdq: 1 layers folded into integer ops, 0 elementwise between 8-bit tensors, 1 left in float (max_pool)
// CHECK-LABEL: func.func @max_pool
// CHECK: %[[P:.*]] = graph.max_pool %arg0 {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<1x4x8x8xui8>) -> tensor<1x4x4x4xui8>
// CHECK: %[[F:.*]] = graph.max_pool %{{.*}} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK: graph.quantize_linear %[[F]]
// CHECK: return %[[P]], %{{.*}}
func.func @max_pool(%x: tensor<1x4x8x8xui8>) -> (tensor<1x4x4x4xui8>, tensor<1x4x4x4xui8>) {
  %s = graph.constant dense<0.05> : tensor<f32>
  %s2 = graph.constant dense<0.07> : tensor<f32>
  %z = graph.constant dense<3> : tensor<ui8>
  %d = graph.dequantize_linear %x, %s, %z : (tensor<1x4x8x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x4x8x8xf32>
  %p = graph.max_pool %d {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %q = graph.quantize_linear %p, %s, %z : (tensor<1x4x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x4x4x4xui8>
  %p2 = graph.max_pool %d {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %q2 = graph.quantize_linear %p2, %s2, %z : (tensor<1x4x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x4x4x4xui8>
  return %q, %q2 : tensor<1x4x4x4xui8>, tensor<1x4x4x4xui8>
}

// -----

// Activations quantized per channel are not folded (QLinearConv takes a
// per-tensor x scale): the layer stays in float, and says so.
// REPORT: remark: qdq: 0 layers folded into integer ops, 0 elementwise between 8-bit tensors, 1 left in float (conv)
// CHECK-LABEL: func.func @per_channel_activation
// CHECK: graph.conv
// CHECK-NOT: graph.qlinear_conv
func.func @per_channel_activation(%x: tensor<1x2x4x4xui8>, %xs: tensor<2xf32>, %xz: tensor<2xui8>) -> tensor<1x2x4x4xui8> {
  %w = graph.constant dense<1> : tensor<2x2x1x1xi8>
  %ws = graph.constant dense<0.5> : tensor<f32>
  %wz = graph.constant dense<0> : tensor<i8>
  %ys = graph.constant dense<0.2> : tensor<f32>
  %yz = graph.constant dense<0> : tensor<ui8>
  %n = graph.none
  %dx = graph.dequantize_linear %x, %xs, %xz {axis = 1 : i64} : (tensor<1x2x4x4xui8>, tensor<2xf32>, tensor<2xui8>) -> tensor<1x2x4x4xf32>
  %dw = graph.dequantize_linear %w, %ws, %wz : (tensor<2x2x1x1xi8>, tensor<f32>, tensor<i8>) -> tensor<2x2x1x1xf32>
  %c = graph.conv %dx, %dw, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %q = graph.quantize_linear %c, %ys, %yz : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
  return %q : tensor<1x2x4x4xui8>
}

// -----

// Q(Gemm(DQ a, DQ w, bias)) with transB -> QLinearMatMul of the transposed
// 8-bit weights (per-column scales along w's axis 0) and an i32 bias:
// [1.0, -0.5] / (0.1 * [0.5, 0.25]) = [20, -20].
// REPORT: remark: qdq: 1 layers folded into integer ops, 0 elementwise between 8-bit tensors, 0 left in float
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: %[[B:.*]] = graph.constant dense<[20, -20]> : tensor<2xi32>
// CHECK-DAG: %[[W:.*]] = graph.constant dense<1> : tensor<2x8xi8>
// CHECK: %[[T:.*]] = graph.transpose %[[W]] : (tensor<2x8xi8>) -> tensor<8x2xi8>
// CHECK: %[[Y:.*]] = graph.qlinear_matmul %arg0, %{{.*}}, %{{.*}}, %[[T]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[B]]
// CHECK-SAME: -> tensor<3x2xui8>
// CHECK: return %[[Y]]
func.func @gemm(%a: tensor<3x8xui8>) -> tensor<3x2xui8> {
  %as = graph.constant dense<0.1> : tensor<f32>
  %az = graph.constant dense<128> : tensor<ui8>
  %w = graph.constant dense<1> : tensor<2x8xi8>
  %ws = graph.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %wz = graph.constant dense<0> : tensor<2xi8>
  %c = graph.constant dense<[1.0, -0.5]> : tensor<2xf32>
  %ys = graph.constant dense<0.2> : tensor<f32>
  %yz = graph.constant dense<0> : tensor<ui8>
  %da = graph.dequantize_linear %a, %as, %az : (tensor<3x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x8xf32>
  %dw = graph.dequantize_linear %w, %ws, %wz {axis = 0 : i64} : (tensor<2x8xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x8xf32>
  %g = graph.gemm %da, %dw, %c {transB = 1 : i64} : (tensor<3x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %q = graph.quantize_linear %g, %ys, %yz : (tensor<3x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x2xui8>
  return %q : tensor<3x2xui8>
}

// -----

// Reshape and Concat keep 8-bit values when the parameters agree; a Concat
// input with another scale is requantized to the output's (Q(DQ(x))).
// REPORT: remark: qdq: 2 layers folded into integer ops, 0 elementwise between 8-bit tensors, 0 left in float
// CHECK-LABEL: func.func @movement
// CHECK: %[[R:.*]] = graph.reshape %arg0, %{{.*}} : (tensor<1x4x2x2xui8>, tensor<2xi64>) -> tensor<1x16xui8>
// CHECK: %[[D:.*]] = graph.dequantize_linear %arg1
// CHECK: %[[Q:.*]] = graph.quantize_linear %[[D]]
// CHECK: %[[C:.*]] = graph.concat %[[R]], %[[Q]] {axis = 1 : i64} : (tensor<1x16xui8>, tensor<1x16xui8>) -> tensor<1x32xui8>
// CHECK: return %[[C]]
func.func @movement(%x: tensor<1x4x2x2xui8>, %y: tensor<1x16xui8>) -> tensor<1x32xui8> {
  %s = graph.constant dense<0.05> : tensor<f32>
  %s2 = graph.constant dense<0.02> : tensor<f32>
  %z = graph.constant dense<128> : tensor<ui8>
  %shape = graph.constant dense<[1, 16]> : tensor<2xi64>
  %dx = graph.dequantize_linear %x, %s, %z : (tensor<1x4x2x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x4x2x2xf32>
  %r = graph.reshape %dx, %shape : (tensor<1x4x2x2xf32>, tensor<2xi64>) -> tensor<1x16xf32>
  %qr = graph.quantize_linear %r, %s, %z : (tensor<1x16xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x16xui8>
  %dr = graph.dequantize_linear %qr, %s, %z : (tensor<1x16xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x16xf32>
  %dy = graph.dequantize_linear %y, %s2, %z : (tensor<1x16xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x16xf32>
  %c = graph.concat %dr, %dy {axis = 1 : i64} : (tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x32xf32>
  %q = graph.quantize_linear %c, %s, %z : (tensor<1x32xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x32xui8>
  return %q : tensor<1x32xui8>
}

// -----

// Q(GlobalAveragePool(DQ x)): the 8-bit values summed in i32 over the 4x4
// map, requantized once per channel with m = 0.1 / (16 * 0.05) = 0.125
// after subtracting 16 * 3 = 48 zero points. A residual Add between 8-bit
// tensors stays one elementwise op (a fused loop after lowering).
// REPORT: remark: qdq: 1 layers folded into integer ops, 1 elementwise between 8-bit tensors (add), 0 left in float
// CHECK-LABEL: func.func @pool_and_add
// CHECK: %[[W:.*]] = graph.cast %arg0 {to = i32} : (tensor<1x8x4x4xui8>) -> tensor<1x8x4x4xi32>
// CHECK: %[[S:.*]] = graph.reduce_sum %[[W]], %{{.*}} : (tensor<1x8x4x4xi32>, tensor<2xi64>) -> tensor<1x8x1x1xi32>
// CHECK: %[[C:.*]] = graph.sub %[[S]], %{{.*}} : (tensor<1x8x1x1xi32>, tensor<i32>)
// CHECK: %[[F:.*]] = graph.cast %[[C]] {to = f32}
// CHECK: %[[M:.*]] = graph.mul %[[F]], %{{.*}} : (tensor<1x8x1x1xf32>, tensor<f32>)
// CHECK: graph.quantize_linear %[[M]]
// CHECK: graph.add
func.func @pool_and_add(%x: tensor<1x8x4x4xui8>, %r: tensor<1x8x4x4xui8>) -> (tensor<1x8x1x1xui8>, tensor<1x8x4x4xui8>) {
  %xs = graph.constant dense<0.1> : tensor<f32>
  %xz = graph.constant dense<3> : tensor<ui8>
  %ys = graph.constant dense<0.05> : tensor<f32>
  %yz = graph.constant dense<128> : tensor<ui8>
  %dx = graph.dequantize_linear %x, %xs, %xz : (tensor<1x8x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x8x4x4xf32>
  %p = graph.global_average_pool %dx : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  %q = graph.quantize_linear %p, %ys, %yz : (tensor<1x8x1x1xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x8x1x1xui8>
  %dr = graph.dequantize_linear %r, %ys, %yz : (tensor<1x8x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x8x4x4xf32>
  %a = graph.add %dx, %dr : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %qa = graph.quantize_linear %a, %ys, %yz : (tensor<1x8x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x8x4x4xui8>
  return %q, %qa : tensor<1x8x1x1xui8>, tensor<1x8x4x4xui8>
}

// -----

// alpha * A * B + beta * C: alpha scales the weights' scales, beta the
// bias before it is quantized: w scales [0.5, 0.25] * 2 = [1.0, 0.5];
// bias 0.5 * [1.0, -0.5] / (0.1 * [1.0, 0.5]) = [5, -5].
// REPORT: remark: qdq: 1 layers folded into integer ops, 0 elementwise between 8-bit tensors, 0 left in float
// CHECK-LABEL: func.func @gemm_alpha_beta
// CHECK-DAG: %[[B:.*]] = graph.constant dense<[5, -5]> : tensor<2xi32>
// CHECK-DAG: %[[S:.*]] = graph.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: graph.qlinear_matmul %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[B]]
func.func @gemm_alpha_beta(%a: tensor<3x8xui8>) -> tensor<3x2xui8> {
  %as = graph.constant dense<0.1> : tensor<f32>
  %az = graph.constant dense<128> : tensor<ui8>
  %w = graph.constant dense<1> : tensor<2x8xi8>
  %ws = graph.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %wz = graph.constant dense<0> : tensor<2xi8>
  %c = graph.constant dense<[1.0, -0.5]> : tensor<2xf32>
  %ys = graph.constant dense<0.2> : tensor<f32>
  %yz = graph.constant dense<0> : tensor<ui8>
  %da = graph.dequantize_linear %a, %as, %az : (tensor<3x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x8xf32>
  %dw = graph.dequantize_linear %w, %ws, %wz {axis = 0 : i64} : (tensor<2x8xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x8xf32>
  %g = graph.gemm %da, %dw, %c {transB = 1 : i64, alpha = 2.0 : f32, beta = 0.5 : f32} : (tensor<3x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %q = graph.quantize_linear %g, %ys, %yz : (tensor<3x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x2xui8>
  return %q : tensor<3x2xui8>
}

// -----

// A negative alpha would make the weights' scales negative: left in float.
// REPORT: remark: qdq: 0 layers folded into integer ops, 0 elementwise between 8-bit tensors, 1 left in float (gemm)
// CHECK-LABEL: func.func @gemm_negative_alpha
// CHECK: graph.gemm
// CHECK: graph.quantize_linear
func.func @gemm_negative_alpha(%a: tensor<3x8xui8>) -> tensor<3x2xui8> {
  %as = graph.constant dense<0.1> : tensor<f32>
  %az = graph.constant dense<128> : tensor<ui8>
  %w = graph.constant dense<1> : tensor<2x8xi8>
  %ws = graph.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %wz = graph.constant dense<0> : tensor<2xi8>
  %ys = graph.constant dense<0.2> : tensor<f32>
  %yz = graph.constant dense<0> : tensor<ui8>
  %none = graph.none
  %da = graph.dequantize_linear %a, %as, %az : (tensor<3x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x8xf32>
  %dw = graph.dequantize_linear %w, %ws, %wz {axis = 0 : i64} : (tensor<2x8xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x8xf32>
  %g = graph.gemm %da, %dw, %none {transB = 1 : i64, alpha = -1.0 : f32} : (tensor<3x8xf32>, tensor<2x8xf32>, none) -> tensor<3x2xf32>
  %q = graph.quantize_linear %g, %ys, %yz : (tensor<3x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x2xui8>
  return %q : tensor<3x2xui8>
}
