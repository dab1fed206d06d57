// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions,cse))" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{smem-budget=6000},cse))" | FileCheck %s --check-prefix=SMALL
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{precision=tf32},cse))" | FileCheck %s --check-prefix=TF32
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{precision=fp16},cse))" | FileCheck %s --check-prefix=FP16
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{precision=bf16},cse))" | FileCheck %s --check-prefix=BF16

// 1024x1024x256: 64x64 tiles give 256 blocks (every one of 132 SMs busy)
// with the least traffic of the shapes that do; 128x128 would leave SMs
// idle (64 blocks). A's rows are contiguous along K: thread e stages
// (row e / 16, k e % 16), then each thread loads a 4-wide column of A and
// row of B per k from shared memory and adds C once at the end.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[TILES:.*]] = arith.ceildivui %{{.*}}, %[[C64]]
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9_]+]], %[[BY:[a-z0-9_]+]], %{{.*}}) in (%{{.*}} = %[[TILES]], %{{.*}} = %[[TILES]], %{{.*}} = %{{.*}}) threads(%[[TID:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], %{{.*}}) workgroup(%[[SA:[a-z0-9_]+]] : memref<16x68xf32, #gpu.address_space<workgroup>>, %[[SB:[a-z0-9_]+]] : memref<16x68xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[M0:.*]] = arith.muli %[[BY]], %[[C64]]
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %[[C16]] iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK: %[[E:.*]] = arith.addi %[[TID]], %{{.*}}
// CHECK: %[[ROW:.*]] = arith.divui %[[E]], %[[C16]]
// CHECK: %[[KK:.*]] = arith.remui %[[E]], %[[C16]]
// CHECK: %[[GM:.*]] = arith.addi %[[M0]], %[[ROW]]
// CHECK: %[[GK:.*]] = arith.addi %[[K0]], %[[KK]]
// CHECK: scf.if
// CHECK: memref.load %arg0[%[[GM]], %[[GK]]]
// CHECK: memref.store %{{.*}}, %[[SA]][%[[KK]], %[[ROW]]]
// CHECK: memref.load %arg1
// CHECK: memref.store %{{.*}}, %[[SB]]
// CHECK: gpu.barrier
// CHECK: vector.load %[[SA]]{{.*}} {alignment = 16 : i64} : memref<16x68xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: vector.load %[[SB]]{{.*}} {alignment = 16 : i64}
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: memref.load %arg2
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-NOT: linalg.matmul
// With tf32 tensor cores: 64x64x16 tiles for 4 warps (2 x 2, 32x32
// each: 2 x 4 m16n8k8 products per k8 step, 16 per BK), rows padded to
// 72 floats so a fragment's 4 x 8 lanes hit 32 banks. Lane l of warp w:
// groupID l / 4, threadID_in_group l % 4; A's fragment is (g, t),
// (g+8, t), (g, t+4), (g+8, t+4) of the staged [k][m] tile.
// TF32-LABEL: func.func @matmul
// TF32: gpu.launch {{.*}} threads(%[[TID:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128, {{.*}} workgroup(%[[SA:[a-z0-9_]+]] : memref<16x72xf32, #gpu.address_space<workgroup>>, %[[SB:[a-z0-9_]+]] : memref<16x72xf32, #gpu.address_space<workgroup>>)
// TF32: %[[LANE:.*]] = arith.remui %[[TID]], %c32
// TF32: %[[G:.*]] = arith.divui %[[LANE]], %c4
// TF32: %[[T:.*]] = arith.remui %[[LANE]], %c4
// TF32: scf.for {{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// TF32: gpu.barrier
// TF32: %[[K4:.*]] = arith.addi %[[T]], %c4
// TF32: %[[R:.*]] = arith.addi %{{.*}}, %[[G]]
// TF32: %[[R8:.*]] = arith.addi %[[R]], %c8
// TF32: %[[A0:.*]] = memref.load %[[SA]][%[[T]], %[[R]]]
// TF32: %[[A1:.*]] = memref.load %[[SA]][%[[T]], %[[R8]]]
// TF32: %[[A2:.*]] = memref.load %[[SA]][%[[K4]], %[[R]]]
// TF32: %[[A3:.*]] = memref.load %[[SA]][%[[K4]], %[[R8]]]
// TF32: vector.from_elements %[[A0]], %[[A1]], %[[A2]], %[[A3]] : vector<4x1xf32>
// TF32: vector.from_elements {{.*}} : vector<2x1xf32>
// TF32: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
// TF32-COUNT-15: nvgpu.mma.sync
// TF32: gpu.barrier
// TF32: scf.yield
// With fp16: the same warps, K steps of 32 staged as f16 in [m][k] rows
// of 40 halves (each element rounded on the way in), so a fragment
// register's pair (k = 2t, 2t+1) is one 4-byte load; A's registers are
// rows g, g+8 at k 2t, then at 2t+8; B's are k 2t and 2t+8 of column g.
// FP16-LABEL: func.func @matmul
// FP16: gpu.launch {{.*}} threads(%[[TID:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128, {{.*}} workgroup(%[[SA:[a-z0-9_]+]] : memref<64x40xf16, #gpu.address_space<workgroup>>, %[[SB:[a-z0-9_]+]] : memref<64x40xf16, #gpu.address_space<workgroup>>)
// FP16: %[[LANE:.*]] = arith.remui %[[TID]], %c32
// FP16: %[[G:.*]] = arith.divui %[[LANE]], %c4
// FP16: %[[T:.*]] = arith.remui %[[LANE]], %c4
// FP16: scf.for {{.*}} step %c32 {{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// FP16: %[[V:.*]] = scf.if
// FP16: %[[H:.*]] = arith.truncf %[[V]] : f32 to f16
// FP16: memref.store %[[H]], %[[SA]]
// FP16: gpu.barrier
// FP16: %[[K:.*]] = arith.muli %[[T]], %c2
// FP16: %[[K8:.*]] = arith.addi %[[K]], %c8
// FP16: %[[R:.*]] = arith.addi %{{.*}}, %[[G]]
// FP16: %[[R8:.*]] = arith.addi %[[R]], %c8
// FP16: %[[A0:.*]] = vector.load %[[SA]][%[[R]], %[[K]]] {alignment = 4 : i64} : memref<64x40xf16, #gpu.address_space<workgroup>>, vector<2xf16>
// FP16: %[[A1:.*]] = vector.load %[[SA]][%[[R8]], %[[K]]]
// FP16: %[[A2:.*]] = vector.load %[[SA]][%[[R]], %[[K8]]]
// FP16: %[[A3:.*]] = vector.load %[[SA]][%[[R8]], %[[K8]]]
// FP16: vector.insert %[[A0]], %{{.*}} [0] : vector<2xf16> into vector<4x2xf16>
// FP16: vector.insert %[[A1]], %{{.*}} [1]
// FP16: vector.insert %[[A2]], %{{.*}} [2]
// FP16: vector.insert %[[A3]], %{{.*}} [3]
// FP16: %[[N:.*]] = arith.addi %{{.*}}, %[[G]]
// FP16: %[[B0:.*]] = vector.load %[[SB]][%[[N]], %[[K]]]
// FP16: %[[B1:.*]] = vector.load %[[SB]][%[[N]], %[[K8]]]
// FP16: vector.insert %[[B0]], %{{.*}} [0] : vector<2xf16> into vector<2x2xf16>
// FP16: vector.insert %[[B1]], %{{.*}} [1]
// FP16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// FP16-COUNT-15: nvgpu.mma.sync
// FP16: gpu.barrier
// FP16: scf.yield
// bf16: the same kernel in bf16.
// BF16-LABEL: func.func @matmul
// BF16: workgroup(%[[SA:[a-z0-9_]+]] : memref<64x40xbf16, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x40xbf16, #gpu.address_space<workgroup>>)
// BF16: arith.truncf %{{.*}} : f32 to bf16
// BF16: vector.load %[[SA]]{{.*}} {alignment = 4 : i64} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// BF16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// SMALL-LABEL: func.func @matmul
// SMALL: workgroup(%{{.*}} : memref<16x20xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<16x68xf32, #gpu.address_space<workgroup>>)
func.func @matmul(%a: memref<1024x256xf32>, %b: memref<256x1024xf32>, %c: memref<1024x1024xf32>) {
  linalg.matmul ins(%a, %b : memref<1024x256xf32>, memref<256x1024xf32>) outs(%c : memref<1024x1024xf32>)
  return
}

// -----

// Gemm with transB (a classifier's [N, K] weights): B is contiguous along
// K too, so its tile is numbered along K; a 1-row A gives the most blocks
// with 16x64 tiles (16 blocks: no shape fills the GPU).
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK: gpu.launch {{.*}} workgroup(%[[SA:[a-z0-9_]+]] : memref<16x20xf32, #gpu.address_space<workgroup>>, %[[SB:[a-z0-9_]+]] : memref<16x68xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} -> (vector<4xf32>)
// CHECK: memref.load %arg1[%{{.*}}, %{{.*}}] : memref<1000x512xf32>
// CHECK: memref.store %{{.*}}, %[[SB]]
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @gemm_trans_b(%a: memref<1x512xf32>, %b: memref<1000x512xf32>, %c: memref<1x1000xf32>) {
  linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x512xf32>, memref<1000x512xf32>) outs(%c : memref<1x1000xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Batched (attention's Q K^T per head): the batch is grid z; dynamic
// sizes come from the buffers at run time and the edges are guarded.
// CHECK-LABEL: func.func @batched
// CHECK: %[[B:.*]] = memref.dim %arg0, %c0
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:[a-z0-9_]+]]) in ({{.*}}, %{{.*}} = %[[B]]) threads
// CHECK: memref.load %arg0[%[[BZ]], %{{.*}}, %{{.*}}]
// CHECK: memref.load %arg1[%[[BZ]], %{{.*}}, %{{.*}}]
// CHECK: memref.load %arg2[%[[BZ]], %{{.*}}, %{{.*}}]
// CHECK-NOT: linalg.batch_matmul
func.func @batched(%a: memref<?x?x64xf32>, %b: memref<?x64x?xf32>, %c: memref<?x?x?xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<?x?x64xf32>, memref<?x64x?xf32>) outs(%c : memref<?x?x?xf32>)
  return
}

// -----

// Integer products and ops on tensors keep the generic route.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul
func.func @left_alone(%a: memref<8x8xi32>, %b: memref<8x8xi32>, %c: memref<8x8xi32>) {
  linalg.matmul ins(%a, %b : memref<8x8xi32>, memref<8x8xi32>) outs(%c : memref<8x8xi32>)
  return
}

// -----

// A convolution is an implicit GEMM: the output's innermost loop (ow)
// belongs to the input image, so the image is B (columns n*oh*ow, staged
// along ow: consecutive threads read consecutive pixels of a row) and the
// filter is A (rows f, staged along K = c*kh*kw, its contiguous order).
// Image addresses come from its indexing map at the delinearized point
// (stride 2: ih = 2*oh + kh).
// CHECK: #[[$STRIDED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2 * 2 + d5)>
// CHECK-LABEL: func.func @conv_stride2
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[SA:[a-z0-9_]+]] : memref<16x20xf32, #gpu.address_space<workgroup>>, %[[SB:[a-z0-9_]+]] : memref<16x68xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: memref.load %arg1[{{.*}}] : memref<32x16x3x3xf32>
// CHECK: memref.store %{{.*}}, %[[SA]]
// CHECK: affine.apply #[[$STRIDED]](
// CHECK: memref.load %arg0[{{.*}}] : memref<1x16x17x17xf32>
// CHECK: memref.store %{{.*}}, %[[SB]]
// CHECK: vector.fma
// CHECK: memref.store %{{.*}}, %arg2[{{.*}}] : memref<1x32x8x8xf32>
func.func @conv_stride2(%i: memref<1x16x17x17xf32>, %w: memref<32x16x3x3xf32>, %o: memref<1x32x8x8xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%i, %w : memref<1x16x17x17xf32>, memref<32x16x3x3xf32>) outs(%o : memref<1x32x8x8xf32>)
  return
}

// -----

// Depthwise convolutions have no column dim (each channel its own filter)
// and keep the generic route; so does a product whose body is not a
// multiply-add.
// CHECK-LABEL: func.func @depthwise
// CHECK-NOT: gpu.launch
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK: linalg.generic
func.func @depthwise(%i: memref<1x16x10x10xf32>, %w: memref<16x3x3xf32>, %o: memref<1x16x8x8xf32>,
                     %a: memref<8x8xf32>, %b: memref<8x8xf32>, %c: memref<8x8xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%i, %w : memref<1x16x10x10xf32>, memref<16x3x3xf32>) outs(%o : memref<1x16x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x8xf32>, memref<8x8xf32>) outs(%c : memref<8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.subf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The bias broadcast before a pointwise convolution and the clip after it
// (into the next layer's padded input, allocated and zeroed in between)
// are folded: the kernel starts each sum from the bias element, clips it
// and stores it into the padded buffer; C is never written, and the kernel
// goes where the clip was, after the padded buffer is zeroed.
// CHECK-LABEL: func.func @folds
// CHECK: %[[PADDED:.*]] = memref.alloc() : memref<1x32x10x10xf32>
// CHECK: linalg.fill {{.*}} outs(%[[PADDED]]
// CHECK: %[[INNER:.*]] = memref.subview %[[PADDED]]
// CHECK: gpu.launch
// CHECK: memref.load %arg2[%{{.*}}, %c0, %c0] : memref<32x1x1xf32>
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: memref.store %{{.*}}, %[[INNER]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: return
#bias = affine_map<(n, c, h, w) -> (c, 0, 0)>
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @folds(%x: memref<1x16x8x8xf32>, %w: memref<32x16x1x1xf32>, %b: memref<32x1x1xf32>) -> memref<1x32x10x10xf32> {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %c = memref.alloc() : memref<1x32x8x8xf32>
  linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<32x1x1xf32>) outs(%c : memref<1x32x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x16x8x8xf32>, memref<32x16x1x1xf32>) outs(%c : memref<1x32x8x8xf32>)
  %p = memref.alloc() : memref<1x32x10x10xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x32x10x10xf32>)
  %inner = memref.subview %p[0, 0, 1, 1] [1, 32, 8, 8] [1, 1, 1, 1] : memref<1x32x10x10xf32> to memref<1x32x8x8xf32, strided<[3200, 100, 10, 1], offset: 11>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : memref<1x32x8x8xf32>) outs(%inner : memref<1x32x8x8xf32, strided<[3200, 100, 10, 1], offset: 11>>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    %s = arith.minimumf %r, %six : f32
    linalg.yield %s : f32
  }
  return %p : memref<1x32x10x10xf32>
}

// -----

// C read again after the ReLU (a residual): the kernel still stores C
// and the ReLU stays; a zero fill before it is folded (sums start at 0).
// CHECK-LABEL: func.func @kept
// CHECK: gpu.launch
// CHECK-NOT: memref.load %arg2
// CHECK: arith.addf %cst
// CHECK: memref.store %{{.*}}, %[[C:.*]][
// CHECK: gpu.terminator
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.generic
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(m, n) -> (m, n)>
func.func @kept(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %d: memref<64x64xf32>, %e: memref<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x64xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<64x64xf32>) outs(%d : memref<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%c, %d : memref<64x64xf32>, memref<64x64xf32>) outs(%e : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A residual block's end: the add of the shortcut R and the ReLU after a
// convolution are folded; each thread reads R and the per-channel scale
// S at the element it stores (S at its channel), so C is never written.
// CHECK-LABEL: func.func @residual
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK: %[[SUM:.*]] = arith.addf
// CHECK-DAG: %[[R:.*]] = memref.load %arg3[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x32x8x8xf32>
// CHECK-DAG: %[[S:.*]] = memref.load %arg4[%{{.*}}] : memref<32xf32>
// CHECK: %[[SCALED:.*]] = arith.mulf %[[SUM]], %[[S]]
// CHECK: %[[ADDED:.*]] = arith.addf %[[SCALED]], %[[R]]
// CHECK: %[[RELU:.*]] = arith.maximumf %[[ADDED]]
// CHECK: memref.store %[[RELU]], %arg5
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: return
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>
func.func @residual(%x: memref<1x16x8x8xf32>, %w: memref<32x16x1x1xf32>, %b: memref<32x1x1xf32>,
                    %r: memref<1x32x8x8xf32>, %s: memref<32xf32>, %d: memref<1x32x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<1x32x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<1x32x8x8xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x16x8x8xf32>, memref<32x16x1x1xf32>) outs(%c : memref<1x32x8x8xf32>)
  linalg.generic {indexing_maps = [#id, #id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %r, %s : memref<1x32x8x8xf32>, memref<1x32x8x8xf32>, memref<32xf32>) outs(%d : memref<1x32x8x8xf32>) {
  ^bb0(%in: f32, %res: f32, %sc: f32, %out: f32):
    %m = arith.mulf %in, %sc : f32
    %a = arith.addf %m, %res : f32
    %y = arith.maximumf %a, %zero : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// The add written in place over the shortcut (D is R): each thread reads
// R's element before it stores over it, so it is folded too.
// CHECK-LABEL: func.func @residual_in_place
// CHECK: gpu.launch
// CHECK: memref.load %arg2[
// CHECK: memref.store %{{.*}}, %arg2[
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
#id2 = affine_map<(m, n) -> (m, n)>
func.func @residual_in_place(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %r: memref<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x64xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%c, %r : memref<64x64xf32>, memref<64x64xf32>) outs(%r : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// D another view of R's buffer (shifted by a row): a block could store
// an element another block has yet to read, so the add stays a kernel of
// its own and the product stores C.
// CHECK-LABEL: func.func @residual_overlap
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[C:.*]][
// CHECK: gpu.terminator
// CHECK: linalg.generic
// CHECK: arith.addf
#id2 = affine_map<(m, n) -> (m, n)>
func.func @residual_overlap(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %buf: memref<65x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x64xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  %r = memref.subview %buf[0, 0] [64, 64] [1, 1] : memref<65x64xf32> to memref<64x64xf32, strided<[64, 1]>>
  %d = memref.subview %buf[1, 0] [64, 64] [1, 1] : memref<65x64xf32> to memref<64x64xf32, strided<[64, 1], offset: 64>>
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%c, %r : memref<64x64xf32>, memref<64x64xf32, strided<[64, 1]>>) outs(%d : memref<64x64xf32, strided<[64, 1], offset: 64>>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Bufferization reuses C from layer to layer: after the first product's
// ReLU (into D), C's next use is the second layer's bias broadcast, which
// writes all of it without reading it, so the ReLU is folded. The second
// product's residual add writes C in place and C is returned: folded too,
// the result stored into C.
// CHECK-LABEL: func.func @reused
// CHECK: gpu.launch
// CHECK: arith.maximumf
// CHECK: memref.store %{{.*}}, %arg3[
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load %arg0[
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[C:.*]][
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (n)>
func.func @reused(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %bias: memref<64xf32>,
                  %d: memref<64x64xf32>) -> memref<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x64xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<64x64xf32>) outs(%d : memref<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.matmul ins(%d, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%c, %a : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return %c : memref<64x64xf32>
}
