// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-map-parallel-loops))" | FileCheck %s --check-prefix=MAP
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-map-parallel-loops,convert-parallel-loops-to-gpu,canonicalize,cse))" | FileCheck %s

// A 2-D elementwise op: one flat dim (64 * 128 = 8192 points) in 32 blocks
// of 256 threads, the tile loop on block_x and the point loop on thread_x;
// the flat index splits back with the innermost dim fastest (coalesced).
// MAP-LABEL: func.func @elementwise
// MAP: scf.parallel
// MAP: scf.parallel
// MAP: scf.if
// MAP: } {mapping = [#gpu.loop_dim_map<processor = thread_x
// MAP: } {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C32]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]])
// CHECK: arith.cmpi ult
// CHECK: scf.if
// CHECK: %[[J:.*]] = arith.remsi %{{.*}}, %{{.*}} : index
// CHECK: %[[I:.*]] = arith.divsi
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK: math.exp
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
func.func @elementwise(%a: memref<64x128xf32>, %c: memref<64x128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<64x128xf32>) outs(%c : memref<64x128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A matmul: parallel over the 64 x 32 outputs, the reduction a loop inside
// each thread.
// CHECK-LABEL: func.func @matmul
// CHECK: gpu.launch
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: gpu.terminator
func.func @matmul(%a: memref<64x16xf32>, %b: memref<16x32xf32>, %c: memref<64x32xf32>) {
  linalg.matmul ins(%a, %b : memref<64x16xf32>, memref<16x32xf32>) outs(%c : memref<64x32xf32>)
  return
}

// -----

// A copy between strided views is a kernel too (memref.copy would call a
// host runtime function that cannot read device memory); 64 points take
// one block of 64 threads, not 256.
// CHECK-LABEL: func.func @copy
// CHECK-NOT: memref.copy
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[C1]], {{.*}}) threads({{.*}}) in (%{{.*}} = %[[C64]],
// CHECK: memref.load
// CHECK: memref.store
func.func @copy(%a: memref<8x16xf32>, %c: memref<8x8xf32>) {
  %v = memref.subview %a[0, 4] [8, 8] [1, 1] : memref<8x16xf32> to memref<8x8xf32, strided<[16, 1], offset: 4>>
  memref.copy %v, %c : memref<8x8xf32, strided<[16, 1], offset: 4>> to memref<8x8xf32>
  return
}

// -----

// Dynamic sizes: the grid is computed on the host at run time.
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[D:.*]] = memref.dim
// CHECK: %[[N:.*]] = arith.muli %[[D]]
// CHECK: gpu.launch
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]]
func.func @dynamic(%a: memref<?x128xf32>, %c: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x128xf32>) outs(%c : memref<?x128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// A copy of a buffer onto itself (bufferization's trace of an op that
// wrote its destination in place) launches nothing; another copy does.
// MAP-LABEL: func.func @self_copy
// MAP-COUNT-2: scf.parallel
// MAP-NOT: scf.parallel
// MAP-NOT: memref.copy
// CHECK-LABEL: func.func @self_copy
// CHECK-COUNT-1: gpu.launch
// CHECK-NOT: gpu.launch
func.func @self_copy(%a: memref<64xf32, strided<[1], offset: 3>>, %b: memref<64xf32>) {
  memref.copy %a, %a : memref<64xf32, strided<[1], offset: 3>> to memref<64xf32, strided<[1], offset: 3>>
  memref.copy %b, %a : memref<64xf32> to memref<64xf32, strided<[1], offset: 3>>
  return
}
