// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-fused-softmax,cse))" | FileCheck %s

// Rows of 1000: a block of 256 threads per row (8 warps). Three passes
// over the row: the maximum from -inf, the sum of exp(x - max), the
// output; the maximum and the sum each combined over the warp's lanes
// and, through their own shared buffer, over the 8 warps.
// CHECK-LABEL: func.func @rows
// CHECK: %[[X:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x1000xf32>
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %{{.*}}, {{.*}}) threads(%[[TID:[a-z0-9_]+]], {{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%[[SMAX:[a-z0-9_]+]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[SSUM:[a-z0-9_]+]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[M0:.*]] = scf.for %{{.*}} = %[[TID]] to %c1000 step %c256 iter_args(%{{.*}} = %[[NEGINF]]) -> (f32) {
// CHECK:   arith.maximumf
// CHECK: gpu.shuffle xor %[[M0]], %c16_i32, %c32_i32 : f32
// CHECK: memref.store %{{.*}}, %[[SMAX]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[SMAX]]
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: %[[M:.*]] = arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: scf.for %{{.*}} = %[[TID]] to %c1000 step %c256 iter_args({{.*}}) -> (f32) {
// CHECK:   %[[D:.*]] = arith.subf %{{.*}}, %[[M]] : f32
// CHECK:   math.exp %[[D]]
// CHECK: memref.store %{{.*}}, %[[SSUM]]
// CHECK: gpu.barrier
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: %[[S:.*]] = arith.addf
// CHECK: scf.for %{{.*}} = %[[TID]] to %c1000 step %c256 {
// CHECK:   %[[E:.*]] = math.exp
// CHECK:   %[[Y:.*]] = arith.divf %[[E]], %[[S]] : f32
// CHECK:   memref.store %[[Y]], %[[OUT]][%{{.*}}, %{{.*}}]
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
func.func @rows(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = graph.softmax %x {axis = -1 : i64} : (tensor<8x1000xf32>) -> tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}

// -----

// LogSoftmax along the middle axis of 5: a warp per row, 8 rows a block
// (ceil(30 / 8) blocks), no shared memory; a row is (i, ., k), its
// elements 10 apart. Warps past the 30th row store nothing.
// CHECK-LABEL: func.func @log_middle
// CHECK: %[[ROWS:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK: %[[GRID:.*]] = arith.ceildivui %[[ROWS]], %c8 : index
// CHECK: gpu.launch blocks(%{{.*}}) in (%{{.*}} = %[[GRID]], {{.*}}) threads(%{{.*}}) in (%{{.*}} = %c256, {{.*}}) {
// CHECK: %[[EXISTS:.*]] = arith.cmpi ult, %{{.*}}, %[[ROWS]] : index
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c5 step %c32 iter_args
// CHECK:   memref.load %{{.*}}[%[[I:.*]], %[[J]], %[[K:.*]]]
// CHECK-NOT: gpu.barrier
// CHECK: %[[LOG:.*]] = math.log
// CHECK: scf.if %[[EXISTS]] {
// CHECK:   scf.for
// CHECK:     %[[D:.*]] = arith.subf
// CHECK:     arith.subf %[[D]], %[[LOG]] : f32
func.func @log_middle(%x: tensor<3x5x10xf32>) -> tensor<3x5x10xf32> {
  %y = graph.log_softmax %x {axis = 1 : i64} : (tensor<3x5x10xf32>) -> tensor<3x5x10xf32>
  return %y : tensor<3x5x10xf32>
}

// -----

// A dynamic row length: a block of 256; dynamic rows size the grid and
// the output buffer.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[N:.*]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[L:.*]] = tensor.dim %arg0, %c1
// CHECK: memref.alloc(%[[N]], %[[L]]) {alignment = 64 : i64} : memref<?x?xf32>
// CHECK: threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[L]] step %c256
func.func @dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = graph.softmax %x {axis = 1 : i64} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// f64 keeps the tensor lowering.
// CHECK-LABEL: func.func @double
// CHECK-NOT: gpu.launch
// CHECK: graph.softmax
func.func @double(%x: tensor<4x100xf64>) -> tensor<4x100xf64> {
  %y = graph.softmax %x {axis = -1 : i64} : (tensor<4x100xf64>) -> tensor<4x100xf64>
  return %y : tensor<4x100xf64>
}
