// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-winograd="min-channels=1 cpu=x86-64-v3" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-winograd="min-channels=1 cpu=x86-64-v3 l2-bytes=1024" | FileCheck %s --check-prefix=BAND

// A 4x4 output in 2x2 tiles. The filter transform U = G g G^T is a new
// constant: for g all ones, G's row sums are (1, 1.5, 0.5, 1) and
// U[4i + j] = r_i * r_j. One input transform (16 windows of the input in,
// 16 slices of V out), the 16 matmuls as one contraction over c, and one
// output transform per output parity, each writing a stride-2 view of the
// output (which holds the init) and adding to it. The original weights go.
// CHECK-NOT: @w1 :
// CHECK: memref.global "private" constant @w1_winograd : memref<16x1x1xf32> = dense<{{\[\[\[}}1.000000e+00]], {{\[\[}}1.500000e+00]], {{\[\[}}5.000000e-01]], {{\[\[}}1.000000e+00]], {{\[\[}}1.500000e+00]], {{\[\[}}2.250000e+00]], {{\[\[}}7.500000e-01]], {{\[\[}}1.500000e+00]], {{\[\[}}5.000000e-01]], {{\[\[}}7.500000e-01]], {{\[\[}}2.500000e-01]], {{\[\[}}5.000000e-01]], {{\[\[}}1.000000e+00]], {{\[\[}}1.500000e+00]], {{\[\[}}5.000000e-01]], {{\[\[}}1.000000e+00]]]>
// CHECK-LABEL: func.func @even
// CHECK-SAME: (%[[X:.*]]: memref<1x1x6x6xf32>, %[[Y:.*]]: memref<1x1x4x4xf32>)
// CHECK: %[[U:.*]] = memref.get_global @w1_winograd
// CHECK: %[[V:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x1x1x2x2xf32>
// CHECK: %[[M:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x1x1x4xf32>
// CHECK: %[[XS:.*]] = memref.subview %[[X]][0, 0, 0, 0] [1, 1, 6, 6] [1, 1, 1, 1]
// CHECK: %[[V15:.*]] = memref.subview %[[V]][15, 0, 0, 0, 0] [1, 1, 1, 2, 2]
// CHECK: linalg.generic {{.*}} ins(%[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]], %[[XS]] : {{.*}}) outs({{.*}}, %[[V15]] : {{.*}})
// CHECK-COUNT-16: arith.subf
// CHECK: %[[VF:.*]] = memref.collapse_shape %[[V]] {{\[}}[0], [1], [2], [3, 4]]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[M]] : memref<16x1x1x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$VMAP:.*]], #[[$UMAP:.*]], #[[$MMAP:.*]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[VF]], %[[U]] : {{.*}}) outs(%[[M]]
// CHECK: memref.subview %[[Y]][0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 2, 2]
// CHECK: memref.subview %[[Y]][0, 0, 0, 1] [1, 1, 2, 2] [1, 1, 2, 2]
// CHECK: memref.subview %[[Y]][0, 0, 1, 0] [1, 1, 2, 2] [1, 1, 2, 2]
// CHECK: memref.subview %[[Y]][0, 0, 1, 1] [1, 1, 2, 2] [1, 1, 2, 2]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
memref.global "private" constant @w1 : memref<1x1x3x3xf32> = dense<1.0>
func.func @even(%x: memref<1x1x6x6xf32>, %y: memref<1x1x4x4xf32>) {
  %w = memref.get_global @w1 : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x1x6x6xf32>, memref<1x1x3x3xf32>) outs(%y : memref<1x1x4x4xf32>)
  return
}

// -----

// A 3x3 output: the last tile row and column overhang. The full tile
// reads a 4x4 window; the edge tiles read 3 rows or columns (the 4th is
// past the input and reads as zero); the odd-parity output views have one
// row or column fewer.
// CHECK-LABEL: func.func @odd
// CHECK-SAME: (%[[X:.*]]: memref<1x1x5x5xf32>, %[[Y:.*]]: memref<1x2x3x3xf32>)
// CHECK: memref.subview %[[X]][0, 0, 0, 0] [1, 1, 4, 4] [1, 1, 1, 1]
// CHECK: memref.subview %[[X]][0, 0, 2, 0] [1, 1, 3, 4] [1, 1, 1, 1]
// CHECK: memref.subview %[[X]][0, 0, 0, 2] [1, 1, 4, 3] [1, 1, 1, 1]
// CHECK: memref.subview %[[X]][0, 0, 2, 2] [1, 1, 3, 3] [1, 1, 1, 1]
// CHECK: memref.subview %[[Y]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: memref.subview %[[Y]][0, 0, 0, 1] [1, 2, 2, 1] [1, 1, 2, 2]
// CHECK: memref.subview %[[Y]][0, 0, 1, 0] [1, 2, 1, 2] [1, 1, 2, 2]
// CHECK: memref.subview %[[Y]][0, 0, 1, 1] [1, 2, 1, 1] [1, 1, 2, 2]
memref.global "private" constant @w2 : memref<2x1x3x3xf32> = dense<1.0>
func.func @odd(%x: memref<1x1x5x5xf32>, %y: memref<1x2x3x3xf32>) {
  %w = memref.get_global @w2 : memref<2x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x1x5x5xf32>, memref<2x1x3x3xf32>) outs(%y : memref<1x2x3x3xf32>)
  return
}

// -----

// 4 tile rows of 16 tiles: 2 KiB of V and M per tile row. With 1 KiB of
// L2, V and M of the whole map (8 KiB) exceed 4x L2; one tile row already
// gives the matmul 16 columns (two 8-lane vectors), two still fit: 2 bands
// of 2 tile rows, each reading 6 input rows from row 2*band and writing 4
// output rows, V and M allocated once outside the loop.
// BAND-LABEL: func.func @banded
// BAND-SAME: (%[[X:.*]]: memref<1x1x10x34xf32>, %[[Y:.*]]: memref<1x1x8x32xf32>)
// BAND: memref.alloc() {alignment = 64 : i64} : memref<16x1x1x2x16xf32>
// BAND: memref.alloc() {alignment = 64 : i64} : memref<16x1x1x32xf32>
// BAND: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// BAND: %[[ROW:.*]] = arith.muli %[[B]], %{{.*}} : index
// BAND: memref.subview %[[X]][0, 0, %[[ROW]], 0] [1, 1, 6, 34] [1, 1, 1, 1]
// BAND: memref.subview %[[Y]][0, 0, %[[ROW]], 0] [1, 1, 4, 32] [1, 1, 1, 1]
// BAND: linalg.generic
// BAND: linalg.generic {{.*}}"reduction"
// BAND-COUNT-4: linalg.generic
// BAND: }
memref.global "private" constant @w3 : memref<1x1x3x3xf32> = dense<1.0>
func.func @banded(%x: memref<1x1x10x34xf32>, %y: memref<1x1x8x32xf32>) {
  %w = memref.get_global @w3 : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x1x10x34xf32>, memref<1x1x3x3xf32>) outs(%y : memref<1x1x8x32xf32>)
  return
}

// -----

// Left as they are: stride 2, dilation 2, a 5x5 kernel, weights that are
// not a constant global.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.generic
memref.global "private" constant @w4 : memref<2x2x3x3xf32> = dense<1.0>
memref.global "private" constant @w5 : memref<2x2x5x5xf32> = dense<1.0>
func.func @kept(%x: memref<1x2x9x9xf32>, %y: memref<1x2x4x4xf32>, %z: memref<1x2x5x5xf32>, %wa: memref<2x2x3x3xf32>, %v: memref<1x2x7x7xf32>) {
  %w = memref.get_global @w4 : memref<2x2x3x3xf32>
  %w5 = memref.get_global @w5 : memref<2x2x5x5xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<1x2x9x9xf32>, memref<2x2x3x3xf32>) outs(%y : memref<1x2x4x4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x2x9x9xf32>, memref<2x2x3x3xf32>) outs(%z : memref<1x2x5x5xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w5 : memref<1x2x9x9xf32>, memref<2x2x5x5xf32>) outs(%z : memref<1x2x5x5xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %wa : memref<1x2x9x9xf32>, memref<2x2x3x3xf32>) outs(%v : memref<1x2x7x7xf32>)
  return
}

// -----

// A bias broadcast before the convolution and a ReLU after it into another
// buffer: the output transforms read the bias (by channel) instead of the
// output, apply the ReLU and store into the ReLU's destination; the
// broadcast and the ReLU go, and the convolution's own output is never
// written (its alloc is left for canonicalization).
// CHECK-LABEL: func.func @bias_relu
// CHECK-SAME: (%[[X:.*]]: memref<1x1x6x6xf32>, %[[B:.*]]: memref<2xf32>, %[[Z:.*]]: memref<1x2x4x4xf32>)
// CHECK: %[[Z0:.*]] = memref.subview %[[Z]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: linalg.generic {{.*}} ins({{.*}}, %[[B]] : {{.*}}) outs(%[[Z0]] :
// CHECK: ^bb0({{(%in[_0-9]*: f32, ){9}%}}[[BIAS:in_[0-9]+]]: f32, %out: f32)
// CHECK: %[[S:.*]] = arith.addf %[[BIAS]], %{{.*}} : f32
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[R]]
// CHECK-COUNT-3: outs(%{{.*}} : memref<1x2x2x2xf32, strided<[32, 16, 8, 2]{{.*}}>>)
// CHECK-NOT: linalg.generic
// CHECK: return
memref.global "private" constant @w5 : memref<2x1x3x3xf32> = dense<1.0>
func.func @bias_relu(%x: memref<1x1x6x6xf32>, %b: memref<2xf32>, %z: memref<1x2x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w5 : memref<2x1x3x3xf32>
  %y = memref.alloc() : memref<1x2x4x4xf32>
  linalg.generic {indexing_maps = [affine_map<(n, f, h, w) -> (f)>, affine_map<(n, f, h, w) -> (n, f, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<2xf32>) outs(%y : memref<1x2x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x1x6x6xf32>, memref<2x1x3x3xf32>) outs(%y : memref<1x2x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, f, h, w) -> (n, f, h, w)>, affine_map<(n, f, h, w) -> (n, f, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x2x4x4xf32>) outs(%z : memref<1x2x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A zero fill before and a residual add after, in place: the transforms
// start from the fill's zero, read the residual at each element and store
// its sum into the output; no fill and no separate add remain.
// CHECK-LABEL: func.func @fill_residual
// CHECK-SAME: (%[[X:.*]]: memref<1x1x6x6xf32>, %[[R:.*]]: memref<1x1x4x4xf32>, %[[Y:.*]]: memref<1x1x4x4xf32>)
// CHECK-NOT: linalg.fill ins(%{{.*}} : f32) outs(%[[Y]]
// CHECK: %[[R0:.*]] = memref.subview %[[R]][0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 2, 2]
// CHECK: %[[Y0:.*]] = memref.subview %[[Y]][0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 2, 2]
// CHECK: linalg.generic {{.*}} ins({{.*}}, %[[R0]] : {{.*}}) outs(%[[Y0]] :
// CHECK: ^bb0({{(%in[_0-9]*: f32, ){9}%}}[[RES:in_[0-9]+]]: f32, %out: f32)
// CHECK: %[[S:.*]] = arith.addf %[[ZERO:cst[_0-9]*]], %{{.*}} : f32
// CHECK-NEXT: %[[T:.*]] = arith.addf %[[S]], %[[RES]] : f32
// CHECK-NEXT: linalg.yield %[[T]]
// CHECK-COUNT-3: ins({{.*}}, %{{.*}} : {{.*}}) outs(%{{.*}} : memref<1x1x2x2xf32, strided<[16, 16, 8, 2]{{.*}}>>)
// CHECK-NOT: linalg.generic
// CHECK: return
memref.global "private" constant @w6 : memref<1x1x3x3xf32> = dense<1.0>
func.func @fill_residual(%x: memref<1x1x6x6xf32>, %r: memref<1x1x4x4xf32>, %y: memref<1x1x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w6 : memref<1x1x3x3xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x1x4x4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x1x6x6xf32>, memref<1x1x3x3xf32>) outs(%y : memref<1x1x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, f, h, w) -> (n, f, h, w)>, affine_map<(n, f, h, w) -> (n, f, h, w)>, affine_map<(n, f, h, w) -> (n, f, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %r : memref<1x1x4x4xf32>, memref<1x1x4x4xf32>) outs(%y : memref<1x1x4x4xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}
