// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-block-channels="lanes=4" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-block-channels="lanes=4 max-width=2" | FileCheck %s --check-prefix=NARROW

// An inverted-residual chain on a 6x6 -> 3x3 map in 4-channel blocks: the
// pointwise convolution feeding the depthwise one reads its NCHW input as
// is (collapsed to [N, C, H*W], no reorder) and writes [N, C/4, H*W, 4];
// the stride-2 depthwise convolution multiplies channel vectors of input
// and weight; the last pointwise convolution reads the blocked result.
// The activations and the pad between them run blocked, and the only
// reorder left is the final result's (a transpose back to NCHW). Weights
// are re-laid at compile time, for the NCHW-input form w'[fo][c][fi] =
// w[4fo+fi][c] (w[f][c] = 8f + c here).
// CHECK-LABEL: func.func @chain
// CHECK-DAG: arith.constant dense<{{\[\[\[}}0.000000e+00, 8.000000e+00, 1.600000e+01, 2.400000e+01], [1.000000e+00, 9.000000e+00, 1.700000e+01, 2.500000e+01]{{.*}} : tensor<2x8x4xf32>
// CHECK-DAG: arith.constant dense<2.500000e-01> : tensor<1x2x4x4xf32>
// CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<2x3x3x4xf32>
// CHECK-DAG: arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>
// CHECK-NOT: linalg.transpose
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<1x8x6x6xf32> into tensor<1x8x36xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x36xf32>, tensor<2x8x4xf32>) outs(%{{.*}} : tensor<1x2x36x4xf32>)
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1, 0] high[0, 0, 1, 1, 0]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x8x8x4xf32>, tensor<2x3x3x4xf32>) outs(%{{.*}} : tensor<1x2x3x3x4xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x9x4xf32>, tensor<1x2x4x4xf32>) outs(%{{.*}} : tensor<1x1x9x4xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x1x3x3x4xf32>) outs(%{{.*}} : tensor<1x1x4x3x3xf32>) permutation = [0, 1, 4, 2, 3]
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
// NARROW-LABEL: func.func @chain
// NARROW-NOT: linalg.transpose
// NARROW: linalg.depthwise_conv_2d_nchw_chw
#bias = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @chain(%x: tensor<1x8x6x6xf32>) -> tensor<1x4x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[[[0.0]], [[1.0]], [[2.0]], [[3.0]], [[4.0]], [[5.0]], [[6.0]], [[7.0]]], [[[8.0]], [[9.0]], [[10.0]], [[11.0]], [[12.0]], [[13.0]], [[14.0]], [[15.0]]], [[[16.0]], [[17.0]], [[18.0]], [[19.0]], [[20.0]], [[21.0]], [[22.0]], [[23.0]]], [[[24.0]], [[25.0]], [[26.0]], [[27.0]], [[28.0]], [[29.0]], [[30.0]], [[31.0]]], [[[32.0]], [[33.0]], [[34.0]], [[35.0]], [[36.0]], [[37.0]], [[38.0]], [[39.0]]], [[[40.0]], [[41.0]], [[42.0]], [[43.0]], [[44.0]], [[45.0]], [[46.0]], [[47.0]]], [[[48.0]], [[49.0]], [[50.0]], [[51.0]], [[52.0]], [[53.0]], [[54.0]], [[55.0]]], [[[56.0]], [[57.0]], [[58.0]], [[59.0]], [[60.0]], [[61.0]], [[62.0]], [[63.0]]]]> : tensor<8x8x1x1xf32>
  %b1 = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %w2 = arith.constant dense<0.5> : tensor<8x3x3xf32>
  %w3 = arith.constant dense<0.25> : tensor<4x8x1x1xf32>
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %bias = tensor.expand_shape %b1 [[0, 1, 2]] output_shape [8, 1, 1] : tensor<8xf32> into tensor<8x1x1xf32>
  %init1 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : tensor<8x1x1xf32>) outs(%e0 : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x1x1xf32>) outs(%init1 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<1x8x6x6xf32>) outs(%e0 : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x6x6xf32>
  %p = tensor.pad %r1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %e1 = tensor.empty() : tensor<1x8x3x3xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c2 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%p, %w2 : tensor<1x8x8x8xf32>, tensor<8x3x3xf32>) outs(%f1 : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c2 : tensor<1x8x3x3xf32>) outs(%e1 : tensor<1x8x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x3x3xf32>
  %e2 = tensor.empty() : tensor<1x4x3x3xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %c3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%r2, %w3 : tensor<1x8x3x3xf32>, tensor<4x8x1x1xf32>) outs(%f2 : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %c3 : tensor<1x4x3x3xf32>
}

// -----

// Not blocked: a depthwise convolution whose channels are not whole
// blocks, and a dense 3x3 convolution (its pitched NCHW kernel reuses each
// weight along whole map rows).
// CHECK-LABEL: func.func @kept
// CHECK-NOT: linalg.transpose
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.transpose
func.func @kept(%x: tensor<1x6x6x6xf32>, %y: tensor<1x8x6x6xf32>) -> (tensor<1x6x4x4xf32>, tensor<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<6x3x3xf32>
  %w2 = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x6x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x4x4xf32>) -> tensor<1x6x4x4xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x6x6x6xf32>, tensor<6x3x3xf32>) outs(%f : tensor<1x6x4x4xf32>) -> tensor<1x6x4x4xf32>
  %e2 = tensor.empty() : tensor<1x8x4x4xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %w2 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%f2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c, %c2 : tensor<1x6x4x4xf32>, tensor<1x8x4x4xf32>
}


// -----

// Two blocked results added: the add runs blocked (both unpacks cancel,
// upstream's propagation takes only one unpacked operand) unless its body
// reads its indices, whose meaning the layout would change: then both
// results are reordered back and the add stays NCHW.
// CHECK-LABEL: func.func @adds
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x4x4x4xf32>, tensor<1x2x4x4x4xf32>) outs(%{{.*}} : tensor<1x2x4x4x4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x2x4x4x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>)
// CHECK: linalg.index 2
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @adds(%x: tensor<1x8x6x6xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %w1 = arith.constant dense<0.5> : tensor<8x3x3xf32>
  %w2 = arith.constant dense<0.25> : tensor<8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %a = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>) outs(%f : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %b = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w2 : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>) outs(%f : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a, %b : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<1x8x4x4xf32>
  %ramp = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a, %b : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %i = linalg.index 2 : index
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %s = arith.addf %p, %q : f32
    %t = arith.addf %s, %fi : f32
    linalg.yield %t : f32
  } -> tensor<1x8x4x4xf32>
  return %sum, %ramp : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// -----

// By default chains grow from depthwise convolutions with output rows up
// to 112 wide (MobileNetV2's 112x112 stage): a 56-wide one is blocked, a
// 120-wide one keeps NCHW.
// CHECK-LABEL: func.func @default_width
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x58x58x4xf32>, tensor<1x3x3x4xf32>) outs(%{{.*}} : tensor<1x1x56x56x4xf32>)
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x122x122xf32>, tensor<4x3x3xf32>)
func.func @default_width(%x: tensor<1x4x58x58xf32>, %y: tensor<1x4x122x122xf32>) -> (tensor<1x4x56x56xf32>, tensor<1x4x120x120xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<4x3x3xf32>
  %e0 = tensor.empty() : tensor<1x4x56x56xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x4x56x56xf32>) -> tensor<1x4x56x56xf32>
  %c0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x58x58xf32>, tensor<4x3x3xf32>) outs(%f0 : tensor<1x4x56x56xf32>) -> tensor<1x4x56x56xf32>
  %e1 = tensor.empty() : tensor<1x4x120x120xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x4x120x120xf32>) -> tensor<1x4x120x120xf32>
  %c1 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %w : tensor<1x4x122x122xf32>, tensor<4x3x3xf32>) outs(%f1 : tensor<1x4x120x120xf32>) -> tensor<1x4x120x120xf32>
  return %c0, %c1 : tensor<1x4x56x56xf32>, tensor<1x4x120x120xf32>
}
