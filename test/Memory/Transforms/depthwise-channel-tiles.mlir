// RUN: mnemo-opt %s --split-input-file --mnemo-depthwise-channel-tiles="tiles=4" --canonicalize | FileCheck %s
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx | mnemo-opt --mnemo-graph-to-linalg --mnemo-depthwise-channel-tiles --resolve-ranked-shaped-type-result-dims --canonicalize | FileCheck %s --check-prefix=MODEL
// RUN: not mnemo-opt %s --split-input-file --mnemo-depthwise-channel-tiles="tiles=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// A padded depthwise conv over 8 channels becomes 4 tiles of 2 channels;
// each pads only its own channels (a 1x2x10x10 scratch, not 1x8x10x10).
// CHECK-LABEL: func.func @dw
// CHECK: scf.for %[[C:.*]] = %c0 to %c8 step %c2 iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x8x8x8xf32>)
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, %[[C]], 0, 0] [1, 2, 8, 8] [1, 1, 1, 1]
// CHECK: tensor.pad %[[S]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: } : tensor<1x2x8x8xf32> to tensor<1x2x10x10xf32>
// CHECK: linalg.fill
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x10x10xf32>, tensor<2x3x3xf32>) outs(%{{.*}} : tensor<1x2x8x8xf32>)
// CHECK: tensor.insert_slice
// CHECK-NOT: tensor<1x8x10x10xf32>
func.func @dw(%x: tensor<1x8x8x8xf32>, %w: tensor<8x3x3xf32>) -> tensor<1x8x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x8xf32> to tensor<1x8x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %y = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x8x10x10xf32>, tensor<8x3x3xf32>) outs(%i : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// -----

// Not taken: the pad also pads channels, so a channel tile of the output
// does not map to a channel tile of the input.
// CHECK-LABEL: func.func @channel_pad
// CHECK-NOT: scf.for
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @channel_pad(%x: tensor<1x6x8x8xf32>, %w: tensor<8x3x3xf32>) -> tensor<1x8x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 1] high[0, 1, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x6x8x8xf32> to tensor<1x8x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %y = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x8x10x10xf32>, tensor<8x3x3xf32>) outs(%i : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// The example model's two depthwise convs (16 channels) are tiled per
// channel; the pointwise convs around them are not touched, and no whole
// padded copy of a depthwise input is left (only the stem conv's pad).
// MODEL-LABEL: func.func @main_graph
// MODEL-NOT: to tensor<?x16x34x34xf32>
// MODEL: scf.for {{.*}} -> (tensor<?x16x32x32xf32>)
// MODEL: tensor.pad
// MODEL: } : tensor<?x1x32x32xf32> to tensor<?x1x34x34xf32>
// MODEL: linalg.depthwise_conv_2d_nchw_chw
// MODEL: scf.for {{.*}} -> (tensor<?x16x16x16xf32>)
// MODEL: linalg.depthwise_conv_2d_nchw_chw

// BAD: error: depthwise-channel-tiles tiles must be positive
