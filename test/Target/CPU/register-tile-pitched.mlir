// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=16 rows=6 vectors=2" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=16 rows=6 vectors=2 pitched=0" | FileCheck %s --check-prefix=OFF

// A stride-1 3x3 convolution with 7-wide output rows over a 9-wide padded
// input runs on the input's pitch: p = oh*9 + ow over [0, 6*9 + 7) = 61
// positions, read from the input as [1, 8, 81] at p + kh*9 + kw, with no
// im2col buffer. Each vector is stored row by row (up to 3 rows of the
// pitch with 16 lanes) into the output seen as one dimension, the junk
// columns 7 and 8 of each row masked off. The bias broadcast starts the
// accumulators.
// CHECK-LABEL: func.func @small_map
// CHECK-NOT: memref.alloc
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : memref<1x4x7x7xf32> into memref<196xf32>
// CHECK: %[[IN:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x8x9x9xf32> into memref<1x8x81xf32>
// CHECK: memref.load %{{.*}} : memref<4xf32>
// CHECK: vector.load %[[IN]]
// CHECK: vector.fma
// CHECK: arith.remui %{{.*}}, %c9
// CHECK-COUNT-3: vector.maskedstore %[[FLAT]]
// CHECK-NOT: linalg.conv_2d
// CHECK-NOT: linalg.generic
// OFF-LABEL: func.func @small_map
// OFF: memref.alloc() {alignment = 64 : i64} : memref<1x8x3x3x7x7xf32>
#bias_map = affine_map<(n, c, h, w) -> (c)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @small_map(%in: memref<1x8x9x9xf32>, %w: memref<4x8x3x3xf32>,
                     %bias: memref<4xf32>, %out: memref<1x4x7x7xf32>) {
  linalg.generic {indexing_maps = [#bias_map, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : memref<4xf32>) outs(%out : memref<1x4x7x7xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<4x8x3x3xf32>) outs(%out : memref<1x4x7x7xf32>)
  return
}

// -----

// The ReLU after the convolution stores into the interior of the next
// convolution's padded input (pitch 16): the split stores go to that
// buffer, row r of a vector 16 - 16 = 0 elements further on than the
// pitched map's, starting at offset 17 (row 1, column 1), and the
// convolution's own output is never written.
// CHECK-LABEL: func.func @relu_into_padded
// CHECK: %[[PAD:.*]] = memref.alloc() : memref<1x4x16x16xf32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[PAD]] {{\[}}[0, 1, 2, 3]] : memref<1x4x16x16xf32> into memref<1024xf32>
// CHECK: vector.fma
// CHECK: arith.maximumf %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[FLAT]]
// CHECK-NOT: linalg.generic
#pad_id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu_into_padded(%in: memref<1x8x16x16xf32>, %w: memref<4x8x3x3xf32>) -> memref<1x4x16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<1x4x14x14xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x14x14xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x16x16xf32>, memref<4x8x3x3xf32>) outs(%out : memref<1x4x14x14xf32>)
  %pad = memref.alloc() : memref<1x4x16x16xf32>
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 4, 14, 14] [1, 1, 1, 1] : memref<1x4x16x16xf32> to memref<1x4x14x14xf32, strided<[1024, 256, 16, 1], offset: 17>>
  linalg.generic {indexing_maps = [#pad_id, #pad_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x4x14x14xf32>) outs(%interior : memref<1x4x14x14xf32, strided<[1024, 256, 16, 1], offset: 17>>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return %pad : memref<1x4x16x16xf32>
}

// -----

// Without an init folded into the accumulators the kernel would read the
// output at pitched positions: the convolution keeps the row kernel (im2col
// here, for the 7-wide rows).
// CHECK-LABEL: func.func @accumulates
// CHECK-NOT: memref<1x8x81xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<1x8x3x3x7x7xf32>
func.func @accumulates(%in: memref<1x8x9x9xf32>, %w: memref<4x8x3x3xf32>, %out: memref<1x4x7x7xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<4x8x3x3xf32>) outs(%out : memref<1x4x7x7xf32>)
  return
}

// -----

// Strided convolutions are not pitched (the map's rows would advance by
// two input rows).
// CHECK-LABEL: func.func @strided
// CHECK-NOT: memref<1x3x1225xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<1x3x3x3x17x17xf32>
func.func @strided(%in: memref<1x3x35x35xf32>, %w: memref<4x3x3x3xf32>, %out: memref<1x4x17x17xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x17x17xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x35x35xf32>, memref<4x3x3x3xf32>) outs(%out : memref<1x4x17x17xf32>)
  return
}

// -----

// Rows that fill the vectors (64 = 4 x 16) keep the direct kernel: the
// pitched map (66 columns a row) would use fewer lanes.
// CHECK-LABEL: func.func @wide_rows
// CHECK-NOT: collapse_shape
// CHECK: vector.fma
func.func @wide_rows(%in: memref<1x8x66x66xf32>, %w: memref<4x8x3x3xf32>, %out: memref<1x4x64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x64x64xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x66x66xf32>, memref<4x8x3x3xf32>) outs(%out : memref<1x4x64x64xf32>)
  return
}

// -----

// A depthwise 5x5 convolution on a 7x7 map (7 of 16 lanes per row) runs
// pitched too (61% of the lanes): its rows become the channels (6 per
// block, each with its own weight broadcast and input vectors), the input
// read as [1, 8, 121] at p + kh*11 + kw.
// CHECK-LABEL: func.func @depthwise_small_map
// CHECK: %[[IN:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x8x11x11xf32> into memref<1x8x121xf32>
// CHECK: scf.for {{.*}} iter_args
// CHECK-COUNT-6: memref.load %{{.*}} : memref<8x5x5xf32>
// CHECK: vector.maskedstore
// CHECK-NOT: linalg.depthwise_conv_2d
func.func @depthwise_small_map(%in: memref<1x8x11x11xf32>, %w: memref<8x5x5xf32>,
                               %out: memref<1x8x7x7xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<1x8x7x7xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x11x11xf32>, memref<8x5x5xf32>) outs(%out : memref<1x8x7x7xf32>)
  return
}

// -----

// On a 14x14 map the pitched form would gain too few lanes (77% against
// the rows' 87.5%) to pay for a broadcast per channel: rows of outputs.
// CHECK-LABEL: func.func @depthwise_wider_map
// CHECK-NOT: into memref<1x8x324xf32>
// CHECK: vector.fma
func.func @depthwise_wider_map(%in: memref<1x8x18x18xf32>, %w: memref<8x5x5xf32>,
                               %out: memref<1x8x14x14xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<1x8x14x14xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x18x18xf32>, memref<8x5x5xf32>) outs(%out : memref<1x8x14x14xf32>)
  return
}
