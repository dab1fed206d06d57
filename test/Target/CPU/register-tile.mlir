// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 im2col=0 split-stores=1" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 parallel=1 im2col=0 split-stores=1" | FileCheck %s --check-prefix=PAR
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 im2col=0 split-stores=0" | FileCheck %s --check-prefix=NOSPLIT

// A matmul becomes a register block: 2 rows x 2 vectors of 8 lanes carried
// by the k loop, B rows loaded once per k for both rows, A broadcast.
// 20 columns = one 16-column block + a masked 8-lane tail; 5 rows = two
// 2-row blocks + one 1-row remainder block.
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.matmul
// CHECK: scf.for
// CHECK: vector.load %{{.*}} : memref<5x20xf32>, vector<8xf32>
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-2: vector.load %{{.*}} : memref<3x20xf32>, vector<8xf32>
// CHECK: memref.load %{{.*}} : memref<5x3xf32>
// CHECK: vector.broadcast
// CHECK-COUNT-2: vector.fma
// CHECK: vector.create_mask
// CHECK: vector.maskedload
// CHECK: vector.maskedstore
// PAR-LABEL: func.func @matmul
// PAR-NOT: scf.parallel
func.func @matmul(%a: memref<5x3xf32>, %b: memref<3x20xf32>, %c: memref<5x20xf32>) {
  linalg.matmul ins(%a, %b : memref<5x3xf32>, memref<3x20xf32>) outs(%c : memref<5x20xf32>)
  return
}

// -----

// 12 columns with 8-lane vectors: one 2-vector block whose second vector
// is masked (4 lanes), so A is broadcast once per k for all 12 columns
// rather than once for a full vector and again for a masked tail.
// CHECK-LABEL: func.func @masked_last_vector
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: vector.load %{{.*}} : memref<5x12xf32>, vector<8xf32>
// CHECK: vector.maskedload %{{.*}}, %[[MASK]]{{.*}} : memref<5x12xf32>
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %{{.*}} : memref<3x12xf32>, vector<8xf32>
// CHECK: vector.maskedload %{{.*}}, %[[MASK]]{{.*}} : memref<3x12xf32>
// CHECK-NOT: vector.maskedload %{{.*}} : memref<3x12xf32>
// CHECK: scf.yield
// CHECK: vector.store %{{.*}} : memref<5x12xf32>, vector<8xf32>
// CHECK: vector.maskedstore %{{.*}}, %[[MASK]]
func.func @masked_last_vector(%a: memref<5x3xf32>, %b: memref<3x12xf32>, %c: memref<5x12xf32>) {
  linalg.matmul ins(%a, %b : memref<5x3xf32>, memref<3x12xf32>) outs(%c : memref<5x12xf32>)
  return
}

// -----

// Enough work for threads: the column blocks become an scf.parallel.
// PAR-LABEL: func.func @big_matmul
// PAR: scf.parallel
// PAR: vector.fma
func.func @big_matmul(%a: memref<64x64xf32>, %b: memref<64x256xf32>, %c: memref<64x256xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x256xf32>) outs(%c : memref<64x256xf32>)
  return
}

// -----

// A zero fill right before the contraction becomes the accumulators'
// initial value and disappears; the in-place clip after it is applied to
// the accumulators before the store.
// CHECK-LABEL: func.func @fill_and_clip
// CHECK-NOT: linalg.fill
// CHECK: %[[Z:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[Z]]
// CHECK: arith.maximumf %{{.*}} : vector<8xf32>
// CHECK: arith.minimumf %{{.*}} : vector<8xf32>
// CHECK: vector.store
// CHECK-NOT: linalg.generic
func.func @fill_and_clip(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<4x16xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %lo = arith.maximumf %x, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  }
  return
}

// -----

// x @ W^T (Gemm with transB): k is the unit-stride dim of both inputs, so
// the vectors run along k and each output is a horizontal reduction.
// CHECK-LABEL: func.func @transposed_b
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// CHECK: memref.store
func.func @transposed_b(%a: memref<1x40xf32>, %w: memref<10x40xf32>, %c: memref<1x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<1x40xf32>, memref<10x40xf32>) outs(%c : memref<1x10xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A stride-2 convolution reads 2x wide B vectors and deinterleaves them.
// At 8 lanes the kernel keeps its vectors in AVX2's in-lane order (the
// even elements of two registers in one vshufps: elements 0, 2, 8, 10 |
// 4, 6, 12, 14), so the accumulators are put into that order after their
// init is read and back before the store.
// CHECK-LABEL: func.func @strided_conv
// CHECK: %[[INIT:.*]] = vector.load %{{.*}} : memref<1x4x17x17xf32>, vector<8xf32>
// CHECK: vector.shuffle %[[INIT]], %[[INIT]] [0, 1, 4, 5, 2, 3, 6, 7] : vector<8xf32>, vector<8xf32>
// CHECK: %[[WIDE:.*]] = vector.load %{{.*}} : memref<1x3x35x35xf32>, vector<16xf32>
// CHECK: vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 8, 10, 4, 6, 12, 14] : vector<16xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: %[[BACK:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5, 2, 3, 6, 7] : vector<8xf32>, vector<8xf32>
// CHECK: vector.store %[[BACK]]
func.func @strided_conv(%in: memref<1x3x35x35xf32>, %w: memref<4x3x3x3xf32>, %out: memref<1x4x17x17xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x35x35xf32>, memref<4x3x3x3xf32>) outs(%out : memref<1x4x17x17xf32>)
  return
}

// -----

// A 1x1 convolution is a contraction over the flattened feature map.
// CHECK-LABEL: func.func @pointwise_conv
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x8x7x7xf32> into memref<1x8x49xf32>
// CHECK: vector.fma
func.func @pointwise_conv(%in: memref<1x8x7x7xf32>, %w: memref<4x8x1x1xf32>, %out: memref<1x4x7x7xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x7x7xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x7x7xf32>)
  return
}

// -----

// A convolution's bias broadcast right before it (channels, seen through
// the flattened map's collapse_shape) starts the accumulators: one scalar
// per output channel, broadcast; no pass over the output writes it first.
// CHECK-LABEL: func.func @pointwise_conv_bias
// CHECK-NOT: linalg.generic
// CHECK: memref.load %{{.*}} : memref<4x1x1xf32>
// CHECK: vector.broadcast
// CHECK: vector.fma
#bias_map = affine_map<(n, c, h, w) -> (c, 0, 0)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @pointwise_conv_bias(%in: memref<1x8x7x7xf32>, %w: memref<4x8x1x1xf32>,
                               %bias: memref<4x1x1xf32>, %out: memref<1x4x7x7xf32>) {
  linalg.generic {indexing_maps = [#bias_map, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : memref<4x1x1xf32>) outs(%out : memref<1x4x7x7xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x7x7xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x7x7xf32>)
  return
}

// -----

// A bias along the output's columns (Gemm's C) is loaded as vectors.
// CHECK-LABEL: func.func @matmul_column_bias
// CHECK-NOT: linalg.generic
// CHECK: vector.load %{{.*}} : memref<20xf32>, vector<8xf32>
// CHECK: vector.fma
// CHECK: vector.maskedload %{{.*}} : memref<20xf32>
#col = affine_map<(i, j) -> (j)>
#id2 = affine_map<(i, j) -> (i, j)>
func.func @matmul_column_bias(%a: memref<5x3xf32>, %b: memref<3x20xf32>,
                              %bias: memref<20xf32>, %c: memref<5x20xf32>) {
  linalg.generic {indexing_maps = [#col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<20xf32>) outs(%c : memref<5x20xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.matmul ins(%a, %b : memref<5x3xf32>, memref<3x20xf32>) outs(%c : memref<5x20xf32>)
  return
}

// -----

// Not folded: a bias that varies along a merged (flattened) dim.
// CHECK-LABEL: func.func @pointwise_conv_row_bias
// CHECK: linalg.generic
// CHECK: vector.fma
#row_map = affine_map<(n, c, h, w) -> (h)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @pointwise_conv_row_bias(%in: memref<1x8x7x7xf32>, %w: memref<4x8x1x1xf32>,
                                   %bias: memref<7xf32>, %out: memref<1x4x7x7xf32>) {
  linalg.generic {indexing_maps = [#row_map, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : memref<7xf32>) outs(%out : memref<1x4x7x7xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x7x7xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x7x7xf32>)
  return
}

// -----

// A 3x3 stride-2 max pool (input 0 combined into the output, input 1 only
// the window's shape) runs in the block kernel: its -inf fill starts the
// accumulators, each window element is a deinterleaved vector of the
// input row, combined by a vector max: compare + select (one x86 max, a
// NaN accumulator kept) and a select that passes a NaN element on.
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: linalg.
// CHECK: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: vector.maskedload %{{.*}} : memref<1x4x11x11xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: %[[X:.*]] = vector.shuffle
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[ACC:.*]] : vector<8xf32>
// CHECK: %[[MAX:.*]] = arith.select %[[GT]], %[[X]], %[[ACC]]
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[X]], %[[X]]
// CHECK: arith.select %[[NAN]], %[[X]], %[[MAX]]
// CHECK: vector.maskedstore %{{.*}} : memref<1x4x5x5xf32>
#pin = affine_map<(n, c, h, w, kh, kw) -> (n, c, h * 2 + kh, w * 2 + kw)>
#pwin = affine_map<(n, c, h, w, kh, kw) -> (kh, kw)>
#pout = affine_map<(n, c, h, w, kh, kw) -> (n, c, h, w)>
func.func @max_pool(%in: memref<1x4x11x11xf32>, %out: memref<1x4x5x5xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %window = memref.alloc() : memref<3x3xf32>
  linalg.fill ins(%ninf : f32) outs(%out : memref<1x4x5x5xf32>)
  linalg.generic {indexing_maps = [#pin, #pwin, #pout],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%in, %window : memref<1x4x11x11xf32>, memref<3x3xf32>) outs(%out : memref<1x4x5x5xf32>) {
  ^bb0(%x: f32, %unused: f32, %o: f32):
    %m = arith.maximumf %x, %o : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// ReLU from the convolution's output into a concat slice (SqueezeNet's
// Fire module): the output is never read again, so the kernel applies the
// ReLU to its accumulators and stores straight into the slice; neither
// the output nor the ReLU pass remain.
// CHECK-LABEL: func.func @relu_into_slice
// CHECK-NOT: linalg.generic
// CHECK: %[[DST:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x4x7x7xf32, strided<[392, 49, 7, 1], offset: 196>> into memref<1x4x49xf32, strided<[392, 49, 1], offset: 196>>
// CHECK: arith.maximumf %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[DST]]
// CHECK-NOT: linalg.generic
#rid = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu_into_slice(%in: memref<1x8x7x7xf32>, %w: memref<4x8x1x1xf32>,
                           %cat: memref<1x8x7x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<1x4x7x7xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x7x7xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x7x7xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x7x7xf32>)
  %slice = memref.subview %cat[0, 4, 0, 0] [1, 4, 7, 7] [1, 1, 1, 1] : memref<1x8x7x7xf32> to memref<1x4x7x7xf32, strided<[392, 49, 7, 1], offset: 196>>
  linalg.generic {indexing_maps = [#rid, #rid], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x4x7x7xf32>) outs(%slice : memref<1x4x7x7xf32, strided<[392, 49, 7, 1], offset: 196>>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The same, but the output is read afterwards: the ReLU stays a pass.
// CHECK-LABEL: func.func @relu_output_read_later
// CHECK: vector.fma
// CHECK: linalg.generic
// CHECK: memref.copy
#rid2 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu_output_read_later(%in: memref<1x8x7x7xf32>, %w: memref<4x8x1x1xf32>,
                                  %cat: memref<1x8x7x7xf32>, %keep: memref<1x4x7x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<1x4x7x7xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x7x7xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x7x7xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x7x7xf32>)
  %slice = memref.subview %cat[0, 4, 0, 0] [1, 4, 7, 7] [1, 1, 1, 1] : memref<1x8x7x7xf32> to memref<1x4x7x7xf32, strided<[392, 49, 7, 1], offset: 196>>
  linalg.generic {indexing_maps = [#rid2, #rid2], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x4x7x7xf32>) outs(%slice : memref<1x4x7x7xf32, strided<[392, 49, 7, 1], offset: 196>>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  memref.copy %out, %keep : memref<1x4x7x7xf32> to memref<1x4x7x7xf32>
  return
}

// -----

// A decomposed pad after a 1x1 convolution: the padded buffer's border
// fills sit between the convolution and its ReLU into the interior. They
// move before the kernel, which stores the flattened map's vectors
// straight into the interior rows (16 = 2 x 8 lanes, so no vector crosses
// a row: p -> (p floordiv 16, p mod 16)).
// CHECK-LABEL: func.func @relu_into_padded
// CHECK: memref.alloc() : memref<1x4x6x18xf32>
// CHECK: scf.for
// CHECK: linalg.fill
// CHECK: vector.fma
// CHECK: arith.maximumf %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}} : memref<1x4x4x16xf32, strided<[432, 108, 18, 1], offset: 19>>, vector<8xf32>
// CHECK-NOT: linalg.generic
#pad_id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu_into_padded(%in: memref<1x8x4x16xf32>, %w: memref<4x8x1x1xf32>) -> memref<1x4x6x18xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %out = memref.alloc() : memref<1x4x4x16xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x4x16xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x4x16xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x4x16xf32>)
  %pad = memref.alloc() : memref<1x4x6x18xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %top = memref.subview %pad[0, %c, 0, 0] [1, 1, 1, 18] [1, 1, 1, 1] : memref<1x4x6x18xf32> to memref<1x1x1x18xf32, strided<[432, 108, 18, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%top : memref<1x1x1x18xf32, strided<[432, 108, 18, 1], offset: ?>>)
  }
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 4, 4, 16] [1, 1, 1, 1] : memref<1x4x6x18xf32> to memref<1x4x4x16xf32, strided<[432, 108, 18, 1], offset: 19>>
  linalg.generic {indexing_maps = [#pad_id, #pad_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x4x4x16xf32>) outs(%interior : memref<1x4x4x16xf32, strided<[432, 108, 18, 1], offset: 19>>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return %pad : memref<1x4x6x18xf32>
}

// -----

// The same with rows of 12 and 8-lane vectors: a vector of the flattened
// map may cross into the next row, so each is stored with one masked
// store per row it touches into the padded buffer seen as one dimension
// (the second row's lanes 14 - 12 = 2 elements further on).
// CHECK-LABEL: func.func @relu_into_padded_split
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : memref<1x4x5x14xf32> into memref<280xf32>
// CHECK: vector.fma
// CHECK: arith.remui
// CHECK: vector.maskedstore %[[FLAT]]
// CHECK: vector.maskedstore %[[FLAT]]
// CHECK-NOT: linalg.generic
// Without split stores (split-stores=0, the default where masked stores
// are slow: AVX2) the kernel stores whole vectors into its own output and
// the ReLU stays a separate op writing the interior.
// NOSPLIT-LABEL: func.func @relu_into_padded_split
// NOSPLIT-NOT: vector.maskedstore
// NOSPLIT: vector.store %{{.*}} : memref<1x4x36xf32>, vector<8xf32>
// NOSPLIT: linalg.generic
// NOSPLIT-SAME: outs(%{{.*}} : memref<1x4x3x12xf32, strided<[280, 70, 14, 1], offset: 15>>)
// NOSPLIT: arith.maximumf
#split_id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu_into_padded_split(%in: memref<1x8x3x12xf32>, %w: memref<4x8x1x1xf32>) -> memref<1x4x5x14xf32> {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<1x4x3x12xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x4x3x12xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x3x12xf32>, memref<4x8x1x1xf32>) outs(%out : memref<1x4x3x12xf32>)
  %pad = memref.alloc() : memref<1x4x5x14xf32>
  linalg.fill ins(%zero : f32) outs(%pad : memref<1x4x5x14xf32>)
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 4, 3, 12] [1, 1, 1, 1] : memref<1x4x5x14xf32> to memref<1x4x3x12xf32, strided<[280, 70, 14, 1], offset: 15>>
  linalg.generic {indexing_maps = [#split_id, #split_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x4x3x12xf32>) outs(%interior : memref<1x4x3x12xf32, strided<[280, 70, 14, 1], offset: 15>>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return %pad : memref<1x4x5x14xf32>
}

// -----

// Not taken: integer contractions, and an output whose last dim is not
// unit-stride.
// CHECK-LABEL: func.func @not_taken
// CHECK: linalg.matmul
// CHECK: linalg.matmul
func.func @not_taken(%a: memref<4x8xi32>, %b: memref<8x16xi32>, %c: memref<4x16xi32>,
                     %x: memref<4x8xf32>, %y: memref<8x16xf32>, %z: memref<4x16xf32, strided<[32, 2]>>) {
  linalg.matmul ins(%a, %b : memref<4x8xi32>, memref<8x16xi32>) outs(%c : memref<4x16xi32>)
  linalg.matmul ins(%x, %y : memref<4x8xf32>, memref<8x16xf32>) outs(%z : memref<4x16xf32, strided<[32, 2]>>)
  return
}
