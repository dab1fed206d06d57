// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions,cse))" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{smem-budget=6000},cse))" | FileCheck %s --check-prefix=SMALL

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
