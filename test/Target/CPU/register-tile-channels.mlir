// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=4 vectors=2" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=4 vectors=2 channel-vectors=0" | FileCheck %s --check-prefix=OFF

// 9 output columns fill 9 of 16 lanes, so the vectors run along the 16
// output channels instead: the constant weight is packed at compile time
// as [M/16][K][16] (packed[0][k][i] = w[i][k]; the source global goes),
// each column's B element is broadcast, and each accumulator is scattered
// into C, where consecutive channels are 9 elements apart. 9 columns =
// 3 blocks of 3 (a divisor of 9 near the 4 rows asked for); 2 channel
// vectors (AVX2's 16 registers hold 3 x 3 accumulators + 3 + 1, but M
// has only 2 vectors of channels).
// CHECK-LABEL: memref.global "private" constant @w_packed16 : memref<1x2x16xf32> = dense<{{\[\[\[}}0.000000e+00, 2.000000e+00, 4.000000e+00
// CHECK-SAME: 3.000000e+01], [1.000000e+00, 3.000000e+00
// CHECK-NOT: memref.global "private" constant @w :
// CHECK-LABEL: func.func @short_rows
// CHECK: %[[W:.*]] = memref.get_global @w_packed16 : memref<1x2x16xf32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1]] : memref<16x9xf32> into memref<144xf32>
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c9{{.*}} step %c3
// CHECK: %[[LANES:.*]] = arith.constant dense<[0, 9, 18, 27, 36, 45, 54, 63]> : vector<8xi32>
// CHECK: scf.for {{.*}} iter_args
// CHECK-COUNT-2: vector.load %[[W]]
// CHECK: memref.load %{{.*}} : memref<2x9xf32>
// CHECK: vector.fma
// CHECK: vector.scatter %[[FLAT]][%{{.*}}] [%[[LANES]]]
// CHECK-NOT: linalg.matmul
// OFF-LABEL: func.func @short_rows
// OFF-NOT: vector.scatter
// OFF: memref.get_global @w : memref<16x2xf32>
memref.global "private" constant @w : memref<16x2xf32> = dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0], [16.0, 17.0], [18.0, 19.0], [20.0, 21.0], [22.0, 23.0], [24.0, 25.0], [26.0, 27.0], [28.0, 29.0], [30.0, 31.0]]>
func.func @short_rows(%b: memref<2x9xf32>, %c: memref<16x9xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<16x2xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<16x9xf32>)
  linalg.matmul ins(%w, %b : memref<16x2xf32>, memref<2x9xf32>) outs(%c : memref<16x9xf32>)
  return
}

// -----

// A bias broadcast starts the accumulators as vectors of 8 channels read
// from the bias; the ReLU after the op is applied before the scatter.
// CHECK-LABEL: func.func @bias_relu
// CHECK: vector.load %{{.*}} : memref<32xf32>, vector<8xf32>
// CHECK: vector.fma
// CHECK: arith.maximumf %{{.*}} : vector<8xf32>
// CHECK: vector.scatter
// CHECK-NOT: linalg.generic
memref.global "private" constant @w2 : memref<32x4xf32> = dense<1.0>
func.func @bias_relu(%b: memref<4x5xf32>, %bias: memref<32xf32>, %c: memref<32x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w2 : memref<32x4xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<32xf32>) outs(%c : memref<32x5xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.matmul ins(%w, %b : memref<32x4xf32>, memref<4x5xf32>) outs(%c : memref<32x5xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<32x5xf32>) outs(%c : memref<32x5xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Weights that are not constants (an argument), a channel count that is
// not a multiple of the vector width, or no init to start from keep the
// row form.
// CHECK-LABEL: func.func @not_taken
// CHECK-NOT: vector.scatter
// CHECK: return
memref.global "private" constant @w3 : memref<20x2xf32> = dense<1.0>
func.func @not_taken(%a: memref<16x2xf32>, %b: memref<2x9xf32>, %c: memref<16x9xf32>,
                     %c20: memref<20x9xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x9xf32>)
  linalg.matmul ins(%a, %b : memref<16x2xf32>, memref<2x9xf32>) outs(%c : memref<16x9xf32>)
  %w = memref.get_global @w3 : memref<20x2xf32>
  linalg.fill ins(%zero : f32) outs(%c20 : memref<20x9xf32>)
  linalg.matmul ins(%w, %b : memref<20x2xf32>, memref<2x9xf32>) outs(%c20 : memref<20x9xf32>)
  %w1 = memref.get_global @w : memref<16x2xf32>
  linalg.matmul ins(%w1, %b : memref<16x2xf32>, memref<2x9xf32>) outs(%c : memref<16x9xf32>)
  return
}
memref.global "private" constant @w : memref<16x2xf32> = dense<1.0>

// -----

// A 7x7 map (49 columns) with 8-lane vectors: each vector is 49 of 56
// lanes, but the row form's blocks of 2 vectors leave a last block of 1
// column in 16: 49 of 64 lanes, so the channels carry the vectors. With
// one vector per block the rows keep them.
// CHECK-LABEL: func.func @map_7x7
// CHECK: vector.scatter
// ONEVEC-LABEL: func.func @map_7x7
// ONEVEC-NOT: vector.scatter
// ONEVEC: return
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=4 vectors=1" | FileCheck %s --check-prefix=ONEVEC
memref.global "private" constant @w49 : memref<16x2xf32> = dense<1.0>
func.func @map_7x7(%b: memref<2x49xf32>, %c: memref<16x49xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w49 : memref<16x2xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<16x49xf32>)
  linalg.matmul ins(%w, %b : memref<16x2xf32>, memref<2x49xf32>) outs(%c : memref<16x49xf32>)
  return
}

// -----

// Weights and B rows larger than half of L2 (here l2-bytes=16384): the
// reduction runs in chunks, each over every block, so one chunk's slice
// of the working set (the A panel of one channel block, 16 channels, and
// all of B, 9 columns) stays in L2 while the blocks reuse it. 256 steps x
// (16 + 9) x 4 bytes = 25.6 KB; chunks of 64 steps take 6.4 KB. Past the first chunk the accumulators start from the
// partial sums (gathered back from C); the ReLU applies after the last.
// CHUNK-LABEL: func.func @chunked
// CHUNK: scf.for %[[K0:.*]] = %{{.*}} to %c256{{.*}} step %c64
// CHUNK: %[[FIRST:.*]] = arith.cmpi eq, %[[K0]], %c0
// CHUNK: %[[LAST:.*]] = arith.cmpi eq
// CHUNK: vector.gather
// CHUNK: arith.select %[[FIRST]]
// CHUNK: scf.for %{{.*}} = %[[K0]] to
// CHUNK: arith.maximumf
// CHUNK: arith.select %[[LAST]]
// CHUNK: vector.scatter
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=3 vectors=2 l2-bytes=16384" | FileCheck %s --check-prefix=CHUNK
memref.global "private" constant @w256 : memref<32x256xf32> = dense<1.0>
func.func @chunked(%b: memref<256x9xf32>, %c: memref<32x9xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w256 : memref<32x256xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<32x9xf32>)
  linalg.matmul ins(%w, %b : memref<32x256xf32>, memref<256x9xf32>) outs(%c : memref<32x9xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<32x9xf32>) outs(%c : memref<32x9xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A 3x3 convolution on a 7x7 map: the columns run across the map's rows
// (its output rows oh, an outer loop A does not use), 49 columns in
// blocks balanced to within one of the 4 rows asked for: 10 blocks of 4
// and 3 of 3, each column's (oh, ow) = (q / 7, q mod 7); not rows of 7 in
// a block of 4 and one of 3.
// CONV-LABEL: func.func @conv_7x7
// CONV: scf.for %[[Q:.*]] = %c0{{.*}} to %c40{{.*}} step %c4
// CONV: arith.divui %{{.*}}, %c7
// CONV: arith.remui %{{.*}}, %c7
// CONV: vector.fma
// CONV: vector.scatter
// CONV: scf.for %{{.*}} = %c40{{.*}} to %c49{{.*}} step %c3
// CONV: vector.fma
// CONV: vector.scatter
// CONV-NOT: linalg.conv_2d_nchw_fchw
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=4 vectors=2 pitched=0" | FileCheck %s --check-prefix=CONV
memref.global "private" constant @w33 : memref<16x2x3x3xf32> = dense<1.0>
func.func @conv_7x7(%in: memref<1x2x9x9xf32>, %out: memref<1x16x7x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w33 : memref<16x2x3x3xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x16x7x7xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x2x9x9xf32>, memref<16x2x3x3xf32>) outs(%out : memref<1x16x7x7xf32>)
  return
}

// -----

// Strided 3x3 convolutions with a long reduction (32 channels x 9 taps =
// 288 steps, at least 32 per lane) take the channel form, which reads the
// input in place: one broadcast per column and tap, no deinterleaving
// shuffles; a 1x1 strided one (32 steps) on 16-wide rows keeps the row
// kernel.
// STRIDED-LABEL: func.func @strided_3x3
// STRIDED: vector.fma
// STRIDED: vector.scatter
// STRIDED-NOT: vector.shuffle
// STRIDED-LABEL: func.func @strided_1x1
// STRIDED-NOT: vector.scatter
// STRIDED: return
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 im2col=0" | FileCheck %s --check-prefix=STRIDED
memref.global "private" constant @ws3 : memref<16x32x3x3xf32> = dense<1.0>
func.func @strided_3x3(%in: memref<1x32x33x33xf32>, %out: memref<1x16x16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @ws3 : memref<16x32x3x3xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x16x16x16xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x32x33x33xf32>, memref<16x32x3x3xf32>) outs(%out : memref<1x16x16x16xf32>)
  return
}
memref.global "private" constant @ws1 : memref<16x32x1x1xf32> = dense<1.0>
func.func @strided_1x1(%in: memref<1x32x32x32xf32>, %out: memref<1x16x16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @ws1 : memref<16x32x1x1xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x16x16x16xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x32x32x32xf32>, memref<16x32x1x1xf32>) outs(%out : memref<1x16x16x16xf32>)
  return
}

// -----

// A stride-1 3x3 convolution on 14-wide rows: pitched on its input's
// pitch of 16, 2 of every 16 lanes would be junk, so it takes the channel
// form; on 28-wide rows (a pitch of 30) the pitched form stays. The 196
// columns run in 31 blocks of 6 and 2 of 5 (6 x 2 accumulators), not in
// 49 blocks of the divisor 4 (4 x 2: too few for the FMA latency).
// PITCH-LABEL: func.func @rows_14
// PITCH: scf.for %{{.*}} = %c0{{.*}} to %c186 step %c6
// PITCH: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// PITCH: vector.scatter
// PITCH: scf.for %{{.*}} = %c186{{.*}} to %c196 step %c5
// PITCH-LABEL: func.func @rows_28
// PITCH-NOT: vector.scatter
// PITCH: return
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8" | FileCheck %s --check-prefix=PITCH
memref.global "private" constant @wp : memref<16x4x3x3xf32> = dense<1.0>
func.func @rows_14(%in: memref<1x4x16x16xf32>, %out: memref<1x16x14x14xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @wp : memref<16x4x3x3xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x16x14x14xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x16x16xf32>, memref<16x4x3x3xf32>) outs(%out : memref<1x16x14x14xf32>)
  return
}
func.func @rows_28(%in: memref<1x4x30x30xf32>, %out: memref<1x16x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @wp : memref<16x4x3x3xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x16x28x28xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x30x30xf32>, memref<16x4x3x3xf32>) outs(%out : memref<1x16x28x28xf32>)
  return
}

// -----

// A residual add after the convolution (ResNet's second conv of a block:
// conv + skip, then ReLU) stays in the channel form: the skip input is
// gathered at the accumulator's 8 channels, 196 elements apart, added,
// and the sum's ReLU scattered; the elementwise op goes.
// RESID-LABEL: func.func @residual_14
// RESID: %[[SKIP:.*]] = memref.collapse_shape %arg2 {{.*}} into memref<3136xf32>
// RESID: vector.fma
// RESID: %[[R:.*]] = vector.gather %[[SKIP]][%{{.*}}] [%{{.*}}], %{{.*}}, %{{.*}} : memref<3136xf32>
// RESID: %[[SUM:.*]] = arith.addf %{{.*}}, %[[R]] : vector<8xf32>
// RESID: arith.maximumf %[[SUM]], %{{.*}} : vector<8xf32>
// RESID: vector.scatter
// RESID-NOT: linalg.generic
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8" | FileCheck %s --check-prefix=RESID
memref.global "private" constant @wr : memref<16x4x3x3xf32> = dense<1.0>
func.func @residual_14(%in: memref<1x4x16x16xf32>, %out: memref<1x16x14x14xf32>,
                       %skip: memref<1x16x14x14xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @wr : memref<16x4x3x3xf32>
  %c = memref.alloc() : memref<1x16x14x14xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<1x16x14x14xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x16x16xf32>, memref<16x4x3x3xf32>) outs(%c : memref<1x16x14x14xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, f, h, w) -> (n, f, h, w)>, affine_map<(n, f, h, w) -> (n, f, h, w)>, affine_map<(n, f, h, w) -> (n, f, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %skip : memref<1x16x14x14xf32>, memref<1x16x14x14xf32>) outs(%out : memref<1x16x14x14xf32>) {
  ^bb0(%x: f32, %s: f32, %o: f32):
    %sum = arith.addf %x, %s : f32
    %r = arith.maximumf %sum, %zero : f32
    linalg.yield %r : f32
  }
  return
}
