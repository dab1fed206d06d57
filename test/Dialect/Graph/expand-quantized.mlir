// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(graph-expand-quantized))' | FileCheck %s
// RUN: mnemo-translate --import-onnx /usr/share/libonnx-testdata/data/node/test_qlinearconv/model.onnx | mnemo-opt --pass-pipeline='builtin.module(func.func(graph-expand-quantized))' | FileCheck %s --check-prefix=ONNX

// Per-axis QuantizeLinear: the scale and zero point reshaped to [1, 3, 1, 1],
// x / scale rounded half to even, the zero point added, saturated to int8.
// CHECK-LABEL: func.func @quantize_axis
// CHECK-DAG: %[[HI:.*]] = graph.constant dense<1.270000e+02> : tensor<f32>
// CHECK-DAG: %[[LO:.*]] = graph.constant dense<-1.280000e+02> : tensor<f32>
// CHECK-DAG: %[[SHAPE:.*]] = graph.constant dense<[1, -1, 1, 1]>
// CHECK: %[[S:.*]] = graph.reshape %arg1, %[[SHAPE]] : (tensor<3xf32>, tensor<4xi64>) -> tensor<1x3x1x1xf32>
// CHECK: %[[ZP:.*]] = graph.reshape %arg2, {{.*}} -> tensor<1x3x1x1xi8>
// CHECK: %[[D:.*]] = graph.div %arg0, %[[S]]
// CHECK: %[[R:.*]] = graph.round %[[D]]
// CHECK: %[[ZPF:.*]] = graph.cast %[[ZP]] {to = f32}
// CHECK: %[[A:.*]] = graph.add %[[R]], %[[ZPF]]
// CHECK: %[[C:.*]] = graph.clip %[[A]], %[[LO]], %[[HI]]
// CHECK: %[[Q:.*]] = graph.cast %[[C]] {to = i8} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xi8>
// CHECK: return %[[Q]]
// CHECK-NOT: graph.quantize_linear
func.func @quantize_axis(%x: tensor<2x3x4x5xf32>, %s: tensor<3xf32>, %zp: tensor<3xi8>) -> tensor<2x3x4x5xi8> {
  %q = graph.quantize_linear %x, %s, %zp {axis = 1 : i64} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<2x3x4x5xi8>
  return %q : tensor<2x3x4x5xi8>
}

// -----

// DequantizeLinear: integer subtraction in i32, then one float multiply.
// CHECK-LABEL: func.func @dequantize
// CHECK: %[[X:.*]] = graph.cast %arg0 {to = i32} : (tensor<8xui8>) -> tensor<8xi32>
// CHECK: %[[Z:.*]] = graph.cast %arg2 {to = i32} : (tensor<ui8>) -> tensor<i32>
// CHECK: %[[C:.*]] = graph.sub %[[X]], %[[Z]] : (tensor<8xi32>, tensor<i32>) -> tensor<8xi32>
// CHECK: %[[F:.*]] = graph.cast %[[C]] {to = f32}
// CHECK: graph.mul %[[F]], %arg1
func.func @dequantize(%x: tensor<8xui8>, %s: tensor<f32>, %zp: tensor<ui8>) -> tensor<8xf32> {
  %y = graph.dequantize_linear %x, %s, %zp : (tensor<8xui8>, tensor<f32>, tensor<ui8>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// MatMulInteger: both sides centred in i32, an i32 matmul; a per-row
// zero point of A runs along A's rows ([M] -> [M, 1]).
// CHECK-LABEL: func.func @matmul_integer
// CHECK: graph.reshape %arg2, {{.*}} -> tensor<4x1xi8>
// CHECK: graph.matmul {{.*}} : (tensor<4x16xi32>, tensor<16x8xi32>) -> tensor<4x8xi32>
func.func @matmul_integer(%a: tensor<4x16xi8>, %b: tensor<16x8xui8>, %azp: tensor<4xi8>, %bzp: tensor<8xui8>) -> tensor<4x8xi32> {
  %y = graph.matmul_integer %a, %b, %azp, %bzp : (tensor<4x16xi8>, tensor<16x8xui8>, tensor<4xi8>, tensor<8xui8>) -> tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}

// QLinearConv: ConvInteger on the 8-bit tensors (lowered directly), then
// acc * (x_scale * w_scale / y_scale) per output channel, requantized.
// ONNX-LABEL: func.func @main_graph
// ONNX: %[[CONV:.*]] = graph.conv_integer %arg0, %arg3, %arg2, %arg5 : (tensor<1x1x7x7xui8>, tensor<1x1x1x1xui8>, tensor<ui8>, tensor<1xui8>) -> tensor<1x1x7x7xi32>
// ONNX: %[[WS:.*]] = graph.reshape %arg4
// ONNX: %[[XW:.*]] = graph.mul %arg1, %[[WS]]
// ONNX: %[[MULT:.*]] = graph.div %[[XW]], %arg6
// ONNX: %[[ACC:.*]] = graph.cast %[[CONV]] {to = f32}
// ONNX: graph.mul %[[ACC]], %[[MULT]]
// ONNX: graph.round
// ONNX: graph.clip
// ONNX: graph.cast {{.*}} {to = ui8} : (tensor<1x1x7x7xf32>) -> tensor<1x1x7x7xui8>
// ONNX-NOT: graph.qlinear_conv
