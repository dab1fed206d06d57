// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-flash-attention,cse))" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-flash-attention{smem-budget=20000},cse))" | FileCheck %s --check-prefix=SMALL
// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-flash-attention{smem-budget=102400},cse))" | FileCheck %s --check-prefix=BIG

// Causal attention over 100 queries and keys, head dim 64: one kernel.
// 64 query rows a block (4 lanes each: 256 threads), 32 keys a step (the
// 64-key tile's 66048 bytes of shared memory are over 48 KiB); a block per
// (query tile, head): ceil(100 / 64) * 2. Q and P rows padded to 65 and
// 33 floats. The operands are read-only buffers, the output a planned
// buffer handed back as a restrict tensor.
// CHECK-LABEL: func.func @causal
// CHECK-DAG: %[[Q:.*]] = bufferization.to_buffer %arg0 read_only : tensor<1x2x100x64xf32> to memref<1x2x100x64xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-DAG: %[[K:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG: %[[V:.*]] = bufferization.to_buffer %arg2 read_only
// CHECK-DAG: %[[M:.*]] = bufferization.to_buffer %arg3 read_only : tensor<1x1x100x100xi1>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x100x64xf32>
// CHECK: %[[TILES:.*]] = arith.ceildivui %c100, %c64 : index
// CHECK: %[[GRID:.*]] = arith.muli %[[TILES]], %c2 : index
// CHECK: gpu.launch blocks(%[[BID:[a-z0-9_]+]], {{.*}}) in (%{{.*}} = %[[GRID]], {{.*}}) threads(%[[TID:[a-z0-9_]+]], {{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%[[SQ:[a-z0-9_]+]] : memref<64x65xf32, #gpu.address_space<workgroup>>, %[[SK:[a-z0-9_]+]] : memref<64x32xf32, #gpu.address_space<workgroup>>, %[[SV:[a-z0-9_]+]] : memref<32x64xf32, #gpu.address_space<workgroup>>, %[[SP:[a-z0-9_]+]] : memref<64x33xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[ROW:.*]] = arith.divui %[[TID]], %c4 : index
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %c4 : index
// The Q tile, staged once: threads stride over its 64 x 64 elements.
// CHECK: scf.for %{{.*}} = %[[TID]] to %c4096 step %c256 {
// CHECK: memref.load %[[Q]]
// CHECK: memref.store %{{.*}}, %[[SQ]]
// CHECK: gpu.barrier
// Keys in steps of 32, carrying the row's maximum and sum and the lane's
// 16 output columns.
// CHECK: scf.for %[[KEY0:.*]] = %c0 to %c100 step %c32 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: scf.for %{{.*}} = %[[TID]] to %c2048 step %c256 {
// CHECK: memref.load %[[K]]
// CHECK: memref.store %{{.*}}, %[[SK]]
// CHECK: scf.for %{{.*}} = %[[TID]] to %c2048 step %c256 {
// CHECK: memref.load %[[V]]
// CHECK: memref.store %{{.*}}, %[[SV]]
// CHECK: gpu.barrier
// The lane's 8 scores, over the head dim.
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: memref.load %[[SQ]][%[[ROW]], %{{.*}}]
// CHECK: memref.load %[[SK]]
// Keys past the end are left out of the maximum; the mask broadcasts.
// CHECK: %[[KEY:.*]] = arith.addi %[[KEY0]], %{{.*}} : index
// CHECK: arith.cmpi ult, %[[KEY]], %c100 : index
// CHECK: arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK: memref.load %[[M]][%c0, %c0, %{{.*}}, %{{.*}}]
// CHECK: arith.select
// CHECK: arith.maximumf
// The row's four lanes combine their maxima, then their sums.
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK-NOT: gpu.shuffle
// CHECK: math.exp
// CHECK: memref.store %{{.*}}, %[[SP]][%[[ROW]], %{{.*}}]
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: gpu.barrier
// acc * corr + P x V over the step's 32 keys, 16 accumulators a lane.
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: memref.load %[[SP]][%[[ROW]], %{{.*}}]
// CHECK: memref.load %[[SV]]
// CHECK: gpu.barrier
// CHECK: scf.yield
// Rows past the 100th store nothing.
// CHECK: scf.if
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[OUT]][%c0, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x2x100x64xf32>
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[T]]
// A budget over 48 KiB still gets static shared memory's 48 KiB: the
// 64 x 64 tile (66048 bytes) would be rejected by ptxas.
// BIG-LABEL: func.func @causal
// BIG: workgroup(%{{.*}} : memref<64x65xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x32xf32, #gpu.address_space<workgroup>>
// A smaller budget: 32 rows (8 lanes each), 16 keys a step.
// SMALL-LABEL: func.func @causal
// SMALL: threads(%{{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%{{.*}} : memref<32x65xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x16xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<16x64xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<32x17xf32, #gpu.address_space<workgroup>>)
// SMALL: gpu.shuffle  xor %{{.*}}, %c4_i32, %c32_i32 : f32
func.func @causal(%q: tensor<1x2x100x64xf32>, %kt: tensor<1x2x64x100xf32>, %v: tensor<1x2x100x64xf32>, %mask: tensor<1x1x100x100xi1>) -> tensor<1x2x100x64xf32> {
  %a = graph.attention %q, %kt, %v, %mask {fill = 0xFFF0000000000000 : f64, mask_kind = "select", scale = 1.250000e-01 : f64} : (tensor<1x2x100x64xf32>, tensor<1x2x64x100xf32>, tensor<1x2x100x64xf32>, tensor<1x1x100x100xi1>) -> tensor<1x2x100x64xf32>
  return %a : tensor<1x2x100x64xf32>
}

// -----

// A decode step: one query row per head takes one warp (32 lanes, xor
// 16..1), 77 keys in steps of 64; head dims 40 and 24, fewer output
// columns than lanes: lanes 24..31 store nothing. An additive mask.
// CHECK-LABEL: func.func @decode
// CHECK: %[[GRID:.*]] = arith.muli %{{.*}}, %c4 : index
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[GRID]], {{.*}}) threads({{.*}}) in (%{{.*}} = %c32, {{.*}}) workgroup(%{{.*}} : memref<1x41xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<40x64xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x24xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<1x65xf32, #gpu.address_space<workgroup>>)
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.addf
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c24 : index
// CHECK: %[[OK:.*]] = arith.andi %{{.*}}, %[[IN]] : i1
// CHECK: scf.if %[[OK]] {
func.func @decode(%q: tensor<1x4x1x40xf32>, %kt: tensor<1x4x40x77xf32>, %v: tensor<1x4x77x24xf32>, %mask: tensor<1x1x1x77xf32>) -> tensor<1x4x1x24xf32> {
  %a = graph.attention %q, %kt, %v, %mask {mask_kind = "add", scale = 0.15811388300841897 : f64} : (tensor<1x4x1x40xf32>, tensor<1x4x40x77xf32>, tensor<1x4x77x24xf32>, tensor<1x1x1x77xf32>) -> tensor<1x4x1x24xf32>
  return %a : tensor<1x4x1x24xf32>
}

// -----

// Half precision keeps the tensor lowering.
// CHECK-LABEL: func.func @half
// CHECK-NOT: gpu.launch
// CHECK: graph.attention
func.func @half(%q: tensor<1x2x8x16xf16>, %kt: tensor<1x2x16x8xf16>, %v: tensor<1x2x8x16xf16>) -> tensor<1x2x8x16xf16> {
  %none = graph.none
  %a = graph.attention %q, %kt, %v, %none {scale = 2.500000e-01 : f64} : (tensor<1x2x8x16xf16>, tensor<1x2x16x8xf16>, tensor<1x2x8x16xf16>, none) -> tensor<1x2x8x16xf16>
  return %a : tensor<1x2x8x16xf16>
}
