// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=16 rows=6 vectors=2 l2-bytes=1048576 pitched=0" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=16 rows=6 vectors=2 l2-bytes=1024 pitched=0" | FileCheck %s --check-prefix=SMALL
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=16 rows=6 vectors=2 im2col=0 pitched=0" | FileCheck %s --check-prefix=SMALL

// A 3x3 convolution with 7-wide output rows (7 of 16 lanes used by the
// row kernel) runs as im2col: the padded input is copied to col[n, c, kh,
// kw, oh, ow] (a new buffer for the memory planner), then contracted over
// the flattened 49-element map. The bias broadcast still starts the
// accumulators: the copy goes before it.
// CHECK-LABEL: func.func @small_map
// CHECK: %[[COL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x3x3x7x7xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN:.*]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : memref<1x8x9x9xf32>) outs(%[[COL]]
// CHECK: memref.collapse_shape %[[COL]] {{\[}}[0], [1, 2, 3], [4, 5]] : memref<1x8x3x3x7x7xf32> into memref<1x72x49xf32>
// CHECK: memref.load %{{.*}} : memref<4x1x1xf32>
// CHECK: vector.fma
// CHECK-NOT: linalg.conv_2d
// SMALL-LABEL: func.func @small_map
// SMALL-NOT: memref.alloc
// SMALL: vector.fma
#bias_map = affine_map<(n, c, h, w) -> (c, 0, 0)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @small_map(%in: memref<1x8x9x9xf32>, %w: memref<4x8x3x3xf32>,
                     %bias: memref<4x1x1xf32>, %out: memref<1x4x7x7xf32>) {
  linalg.generic {indexing_maps = [#bias_map, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : memref<4x1x1xf32>) outs(%out : memref<1x4x7x7xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<4x8x3x3xf32>) outs(%out : memref<1x4x7x7xf32>)
  return
}

// -----

// Strided: the copy reads every other column (oh * 2 + kh, ow * 2 + kw).
// CHECK: #[[STRIDED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2, d5 * 2 + d3)>
// CHECK-LABEL: func.func @strided
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<1x3x3x3x17x17xf32>
// CHECK: linalg.generic {indexing_maps = [#[[STRIDED]]
func.func @strided(%in: memref<1x3x35x35xf32>, %w: memref<4x3x3x3xf32>, %out: memref<1x4x17x17xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x35x35xf32>, memref<4x3x3x3xf32>) outs(%out : memref<1x4x17x17xf32>)
  return
}

// -----

// Rows that fill the vectors stay with the direct kernel (64 = 4 x 16).
// CHECK-LABEL: func.func @wide_rows
// CHECK-NOT: memref.alloc
// CHECK: vector.fma
func.func @wide_rows(%in: memref<1x8x66x66xf32>, %w: memref<4x8x3x3xf32>, %out: memref<1x4x64x64xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x66x66xf32>, memref<4x8x3x3xf32>) outs(%out : memref<1x4x64x64xf32>)
  return
}
