// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-block-reductions,cse))" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-block-reductions{block-size=64},cse))" | FileCheck %s --check-prefix=B64

// A softmax's sum over rows of 4096: one block of 256 threads per row.
// Each thread sums exp(x) over columns tid, tid + 256, ...; a warp's 32
// sums are combined by xor shuffles 16..1; lane 0 of each of the 8 warps
// stores its sum, and after the barrier lanes 0..7 read them back and
// combine again; thread 0 adds the row's initial value and stores.
// CHECK-LABEL: func.func @row_sum
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%[[ROW:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C4]], {{.*}}) threads(%[[TID:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], {{.*}}) workgroup(%[[SMEM:[a-z0-9_]+]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[PART:.*]] = scf.for %[[COL:.*]] = %[[TID]] to %{{.*}} step %[[C256]] iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK:   %[[X:.*]] = memref.load %arg0[%[[ROW]], %[[COL]]]
// CHECK:   %[[E:.*]] = math.exp %[[X]]
// CHECK:   %[[S:.*]] = arith.addf %[[E]], %[[ACC]]
// CHECK:   scf.yield %[[S]]
// CHECK: %[[SH16:.*]], %{{.*}} = gpu.shuffle xor %[[PART]], %c16_i32, %c32_i32 : f32
// CHECK: %[[P16:.*]] = arith.addf %[[SH16]], %[[PART]]
// CHECK: gpu.shuffle xor %[[P16]]
// CHECK: gpu.shuffle xor
// CHECK: gpu.shuffle xor
// CHECK: %[[SH1:.*]], %{{.*}} = gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: %[[WARPSUM:.*]] = arith.addf %[[SH1]]
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]]
// CHECK: %[[WARP:.*]] = arith.divui %[[TID]]
// CHECK: scf.if
// CHECK:   memref.store %[[WARPSUM]], %[[SMEM]][%[[WARP]]]
// CHECK: gpu.barrier
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[HAS:.*]] = arith.cmpi ult, %[[LANE]], %[[C8]]
// CHECK: %[[BACK:.*]] = scf.if %[[HAS]] -> (f32) {
// CHECK:   memref.load %[[SMEM]][%[[LANE]]]
// CHECK: } else {
// CHECK:   scf.yield %[[ZERO]]
// CHECK: gpu.shuffle xor %[[BACK]], %c16_i32, %c32_i32
// CHECK-COUNT-4: gpu.shuffle xor
// CHECK: %[[TOTAL:.*]] = arith.addf
// CHECK: arith.cmpi eq, %[[TID]]
// CHECK: scf.if
// CHECK:   %[[INIT:.*]] = memref.load %arg1[%[[ROW]]]
// CHECK:   %[[OUT:.*]] = arith.addf %[[TOTAL]], %[[INIT]]
// CHECK:   memref.store %[[OUT]], %arg1[%[[ROW]]]
// CHECK-NOT: linalg.generic
// B64-LABEL: func.func @row_sum
// B64: workgroup(%{{.*}} : memref<2xf32, #gpu.address_space<workgroup>>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: memref<4x4096xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x4096xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %e = math.exp %a : f32
    %s = arith.addf %e, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A global max pool over 10x10 (two reduced dims, 100 elements): 128
// threads (whole warps, no more than the elements), the flat reduced
// index delinearized innermost fastest, partials start at -inf.
// CHECK-LABEL: func.func @max_pool
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C10:.*]] = arith.constant 10 : index
// CHECK-DAG: %[[BLOCKS:.*]] = arith.muli %[[C2]], %[[C6]]
// CHECK: gpu.launch blocks(%[[B:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], {{.*}}) threads(%[[TID:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]], {{.*}}) workgroup(%{{.*}} : memref<4xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[C:.*]] = arith.remui %[[B]], %[[C6]]
// CHECK: %[[N:.*]] = arith.divui %[[B]], %[[C6]]
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: scf.for %[[R:.*]] = %[[TID]] to %{{.*}} step %[[C128]] iter_args(%{{.*}} = %[[NINF]])
// CHECK:   %[[W:.*]] = arith.remui %[[R]], %[[C10]]
// CHECK:   %[[H:.*]] = arith.divui %[[R]], %[[C10]]
// CHECK:   memref.load %arg0[%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK:   arith.maximumf
// CHECK: gpu.shuffle xor
// CHECK: arith.maximumf
#x4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#nc = affine_map<(n, c, h, w) -> (n, c)>
func.func @max_pool(%x: memref<2x6x10x10xf32>, %out: memref<2x6xf32>) {
  linalg.generic {indexing_maps = [#x4, #nc], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<2x6x10x10xf32>) outs(%out : memref<2x6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A row of unknown length: always a block, of 256 threads; i64 max
// starts from the least i64.
// CHECK-LABEL: func.func @dynamic_row
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch {{.*}} threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], {{.*}})
// CHECK: arith.constant -9223372036854775808 : i64
// CHECK: gpu.shuffle xor {{.*}} : i64
// CHECK: arith.maxsi
#id1 = affine_map<(d0, d1) -> (d0, d1)>
#row1 = affine_map<(d0, d1) -> (d0)>
func.func @dynamic_row(%x: memref<3x?xi64>, %out: memref<3xi64>) {
  linalg.generic {indexing_maps = [#id1, #row1], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<3x?xi64>) outs(%out : memref<3xi64>) {
  ^bb0(%a: i64, %acc: i64):
    %m = arith.maxsi %a, %acc : i64
    linalg.yield %m : i64
  }
  return
}

// -----

// Rows of 32 (a attention row's sum over 32 keys): below min-length, a
// warp per row, 8 rows per block of 256 threads (ceil(40 / 8) = 5
// blocks). A warp past the last row reads the last row (its lanes still
// shuffle) and stores nothing; each row's lane 0 stores. No shared memory.
// CHECK-LABEL: func.func @warp_rows
// CHECK-DAG: %[[C40:.*]] = arith.constant 40 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[BLOCKS:.*]] = arith.ceildivui %[[C40]], %[[C8]]
// CHECK: gpu.launch blocks(%[[B:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], {{.*}}) threads(%[[TID:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], {{.*}}) {
// CHECK: %[[WARP:.*]] = arith.divui %[[TID]], %[[C32:.*]] : index
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %[[C32]]
// CHECK: %[[FIRSTROW:.*]] = arith.muli %[[B]], %[[C8]]
// CHECK: %[[ROW:.*]] = arith.addi %[[FIRSTROW]], %[[WARP]]
// CHECK: %[[EXISTS:.*]] = arith.cmpi ult, %[[ROW]], %[[C40]]
// CHECK: %[[LAST:.*]] = arith.subi %[[C40]]
// CHECK: %[[R:.*]] = arith.select %[[EXISTS]], %[[ROW]], %[[LAST]]
// CHECK: scf.for %[[K:.*]] = %[[LANE]] to %{{.*}} step %[[C32]]
// CHECK:   memref.load %arg0[%[[R]], %[[K]]]
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK-NOT: gpu.barrier
// CHECK: %[[LANE0:.*]] = arith.cmpi eq, %[[LANE]]
// CHECK: %[[STORES:.*]] = arith.andi %[[LANE0]], %[[EXISTS]]
// CHECK: scf.if %[[STORES]]
// CHECK:   memref.store %{{.*}}, %arg1[%[[R]]]
#idw = affine_map<(d0, d1) -> (d0, d1)>
#roww = affine_map<(d0, d1) -> (d0)>
func.func @warp_rows(%x: memref<40x32xf32>, %out: memref<40xf32>) {
  linalg.generic {indexing_maps = [#idw, #roww], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<40x32xf32>) outs(%out : memref<40xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Left on the generic route: a row too short for a warp (8 <
// warp-min-length 16), a combiner that does not commute (subf), and a
// type gpu.shuffle does not exchange (f16).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK-COUNT-3: linalg.generic
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
func.func @left_alone(%s: memref<8x8xf32>, %so: memref<8xf32>,
                      %x: memref<8x512xf32>, %xo: memref<8xf32>,
                      %h: memref<8x512xf16>, %ho: memref<8xf16>) {
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%s : memref<8x8xf32>) outs(%so : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x512xf32>) outs(%xo : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.subf %acc, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<8x512xf16>) outs(%ho : memref<8xf16>) {
  ^bb0(%a: f16, %acc: f16):
    %r = arith.addf %a, %acc : f16
    linalg.yield %r : f16
  }
  return
}
