// RUN: mnemo-opt --split-input-file --verify-diagnostics %s

func.func @block_size(%x: tensor<4x8xf32>, %s: tensor<4x2xf32>) {
  %n = graph.none
  // expected-error @+2 {{block-wise quantization (block_size 4) is not supported}}
  // expected-error @+1 {{failed to infer returned types}}
  %q = graph.quantize_linear %x, %s, %n {block_size = 4 : i64} : (tensor<4x8xf32>, tensor<4x2xf32>, none) -> tensor<4x8xui8>
  return
}

// -----

func.func @zero_point_type(%x: tensor<8xf32>, %s: tensor<f32>, %zp: tensor<i16>) {
  // expected-error @+2 {{zero points of type 'i16' are not supported (int8 and uint8 are)}}
  // expected-error @+1 {{failed to infer returned types}}
  %q = graph.quantize_linear %x, %s, %zp : (tensor<8xf32>, tensor<f32>, tensor<i16>) -> tensor<8xi16>
  return
}

// -----

func.func @axis_size(%x: tensor<2x3x4xui8>, %s: tensor<4xf32>, %zp: tensor<4xui8>) {
  // expected-error @+2 {{a per-axis scale of 4 values along axis 1 of size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = graph.dequantize_linear %x, %s, %zp : (tensor<2x3x4xui8>, tensor<4xf32>, tensor<4xui8>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @float_input(%x: tensor<8xf32>, %s: tensor<f32>) {
  %n = graph.none
  // expected-error @+2 {{DequantizeLinear takes int8, uint8 or int32 x, got 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = graph.dequantize_linear %x, %s, %n : (tensor<8xf32>, tensor<f32>, none) -> tensor<8xf32>
  return
}

// -----

func.func @scale_shape(%x: tensor<8xui8>, %s: tensor<2x2xf32>) {
  %n = graph.none
  // expected-error @+2 {{the scale must be a scalar or 1-D (per axis), got 'tensor<2x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = graph.dequantize_linear %x, %s, %n : (tensor<8xui8>, tensor<2x2xf32>, none) -> tensor<8xf32>
  return
}

// -----

func.func @int16_matmul(%a: tensor<2x3xi16>, %b: tensor<3x2xi8>) {
  %n = graph.none
  // expected-error @+2 {{integer operands and zero points must be int8 or uint8, got 'i16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = graph.matmul_integer %a, %b, %n, %n : (tensor<2x3xi16>, tensor<3x2xi8>, none, none) -> tensor<2x2xi32>
  return
}

// -----

func.func @float_bias(%x: tensor<1x2x4x4xui8>, %s: tensor<f32>, %zp: tensor<ui8>, %w: tensor<3x2x1x1xi8>, %ws: tensor<3xf32>, %wzp: tensor<3xi8>, %b: tensor<3xf32>) {
  // expected-error @+2 {{the bias must be int32}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = graph.qlinear_conv %x, %s, %zp, %w, %ws, %wzp, %s, %zp, %b : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>, tensor<3x2x1x1xi8>, tensor<3xf32>, tensor<3xi8>, tensor<f32>, tensor<ui8>, tensor<3xf32>) -> tensor<1x3x4x4xui8>
  return
}
