// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-row-kernels,cse))" | FileCheck %s

// Softmax over rows of 1000: a block of 256 threads per row (8 warps). Three passes
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

// -----

// LayerNormalization over the last 768: a block of 256 per row, two
// statistics (the sum, then the sum of squares of x - mean), each through
// its own shared buffer; scale and bias read at the row position.
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[X:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG: %[[SCALE:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG: %[[BIAS:.*]] = bufferization.to_buffer %arg2 read_only
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x32x768xf32>
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%[[S1:[a-z0-9_]+]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[S2:[a-z0-9_]+]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[N:.*]] = arith.uitofp %{{.*}} : i64 to f32
// CHECK: scf.for {{.*}} to %c768 step %c256 iter_args
// CHECK: memref.store %{{.*}}, %[[S1]]
// CHECK: gpu.barrier
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: %[[SUM:.*]] = arith.addf
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUM]], %[[N]] : f32
// CHECK: scf.for {{.*}} to %c768 step %c256 iter_args
// CHECK:   %[[C:.*]] = arith.subf %{{.*}}, %[[MEAN]] : f32
// CHECK:   arith.mulf %[[C]], %[[C]] : f32
// CHECK: memref.store %{{.*}}, %[[S2]]
// CHECK: gpu.barrier
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: %[[SS:.*]] = arith.addf
// CHECK: %[[VAR:.*]] = arith.divf %[[SS]], %[[N]] : f32
// CHECK: %[[VE:.*]] = arith.addf %[[VAR]], %{{.*}} : f32
// CHECK: %[[INV:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: scf.for %[[J:.*]] = {{.*}} to %c768 step %c256 {
// CHECK:   %[[CN:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK:   %[[G:.*]] = memref.load %[[SCALE]][%[[J]]]
// CHECK:   %[[Y:.*]] = arith.mulf %[[CN]], %[[G]] : f32
// CHECK:   %[[B:.*]] = memref.load %[[BIAS]][%[[J]]]
// CHECK:   %[[YB:.*]] = arith.addf %[[Y]], %[[B]] : f32
// CHECK:   memref.store %[[YB]], %[[OUT]][%{{.*}}, %{{.*}}, %[[J]]]
func.func @layer_norm(%x: tensor<2x32x768xf32>, %s: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<2x32x768xf32> {
  %y = graph.layer_normalization %x, %s, %b {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x32x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<2x32x768xf32>
  return %y : tensor<2x32x768xf32>
}

// -----

// Over the last two dims (6 x 8 = 48 elements): a warp per row; a flat
// element number splits into the two dims; no bias; the scale [1, 8]
// broadcasts over the first of them.
// CHECK-LABEL: func.func @layer_norm_2d
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) {
// CHECK: scf.for %[[F:.*]] = %{{.*}} to %c48 step %c32 iter_args
// CHECK:   %[[W:.*]] = arith.remui %[[F]], %c8 : index
// CHECK:   %[[H:.*]] = arith.divui %[[F]], %c8 : index
// CHECK:   memref.load %{{.*}}[%{{.*}}, %[[H]], %[[W]]]
// CHECK: scf.if
// CHECK:   scf.for %[[F2:.*]] = %{{.*}} to %c48 step %c32 {
// CHECK:     %[[W2:.*]] = arith.remui %[[F2]], %c8 : index
// CHECK:     memref.load %{{.*}}[%c0, %[[W2]]]
// CHECK-NOT:   arith.addf
// CHECK:     memref.store
func.func @layer_norm_2d(%x: tensor<4x6x8xf32>, %s: tensor<1x8xf32>) -> tensor<4x6x8xf32> {
  %none = graph.none
  %y = graph.layer_normalization %x, %s, %none {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<4x6x8xf32>, tensor<1x8xf32>, none) -> tensor<4x6x8xf32>
  return %y : tensor<4x6x8xf32>
}

// -----

// InstanceNormalization as the importer writes it (moments over the
// spatial dims, then * scale and + bias per channel): one kernel, a block
// of 256 per (n, c) row of 32 x 32 elements; the scale and bias [16, 1, 1]
// read at the row's channel. Nothing of the chain is left.
// CHECK-LABEL: func.func @instance_norm
// CHECK-DAG: %[[X:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG: %[[SCALE:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<16x1x1xf32> to memref<16x1x1xf32, strided
// CHECK-DAG: %[[BIAS:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<16x1x1xf32> to memref<16x1x1xf32, strided
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(
// CHECK: scf.for {{.*}} to %c1024 step %c256 iter_args
// CHECK: %[[MEAN:.*]] = arith.divf
// CHECK: arith.subf %{{.*}}, %[[MEAN]] : f32
// CHECK: %[[VE:.*]] = arith.addf %{{.*}}, %cst{{.*}} : f32
// CHECK: %[[INV:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: scf.for
// CHECK:   %[[CN:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK:   %[[G:.*]] = memref.load %[[SCALE]][%[[CH:[a-z0-9_]+]], %c0, %c0]
// CHECK:   %[[Y:.*]] = arith.mulf %[[CN]], %[[G]] : f32
// CHECK:   %[[B:.*]] = memref.load %[[BIAS]][%[[CH]], %c0, %c0]
// CHECK:   arith.addf %[[Y]], %[[B]] : f32
// CHECK-NOT: graph.reduce_mean
// CHECK-NOT: graph.div
// CHECK-NOT: graph.sub
// CHECK: return
func.func @instance_norm(%x: tensor<2x16x32x32xf32>, %s: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<2x16x32x32xf32> {
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %perch = graph.constant dense<[1, 2]> : tensor<2xi64>
  %axes = graph.constant dense<[2, 3]> : tensor<2xi64>
  %mean = graph.reduce_mean %x, %axes : (tensor<2x16x32x32xf32>, tensor<2xi64>) -> tensor<2x16x1x1xf32>
  %dev = graph.sub %x, %mean : (tensor<2x16x32x32xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x32x32xf32>
  %sq = graph.mul %dev, %dev : (tensor<2x16x32x32xf32>, tensor<2x16x32x32xf32>) -> tensor<2x16x32x32xf32>
  %var = graph.reduce_mean %sq, %axes : (tensor<2x16x32x32xf32>, tensor<2xi64>) -> tensor<2x16x1x1xf32>
  %ve = graph.add %var, %eps : (tensor<2x16x1x1xf32>, tensor<f32>) -> tensor<2x16x1x1xf32>
  %sd = graph.sqrt %ve : (tensor<2x16x1x1xf32>) -> tensor<2x16x1x1xf32>
  %n = graph.div %dev, %sd : (tensor<2x16x32x32xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x32x32xf32>
  %s3 = graph.unsqueeze %s, %perch : (tensor<16xf32>, tensor<2xi64>) -> tensor<16x1x1xf32>
  %y = graph.mul %n, %s3 : (tensor<2x16x32x32xf32>, tensor<16x1x1xf32>) -> tensor<2x16x32x32xf32>
  %b3 = graph.unsqueeze %b, %perch : (tensor<16xf32>, tensor<2xi64>) -> tensor<16x1x1xf32>
  %z = graph.add %y, %b3 : (tensor<2x16x32x32xf32>, tensor<16x1x1xf32>) -> tensor<2x16x32x32xf32>
  return %z : tensor<2x16x32x32xf32>
}

// -----

// The normalized value read twice: the kernel stops at the division (no
// scale or bias taken) and the multiplications stay graph ops.
// CHECK-LABEL: func.func @normalized_twice
// CHECK: gpu.launch
// CHECK: math.rsqrt
// CHECK-NOT: memref.load %{{.*}}[%{{.*}}, %c0]
// CHECK: gpu.terminator
// CHECK: graph.mul
// CHECK: graph.mul
func.func @normalized_twice(%x: tensor<4x64xf32>, %s: tensor<64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %eps = graph.constant dense<1.0E-5> : tensor<f32>
  %axes = graph.constant dense<[-1]> : tensor<1xi64>
  %mean = graph.reduce_mean %x, %axes : (tensor<4x64xf32>, tensor<1xi64>) -> tensor<4x1xf32>
  %dev = graph.sub %x, %mean : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf32>
  %sq = graph.mul %dev, %dev : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %var = graph.reduce_mean %sq, %axes : (tensor<4x64xf32>, tensor<1xi64>) -> tensor<4x1xf32>
  %ve = graph.add %var, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %sd = graph.sqrt %ve : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = graph.div %dev, %sd : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf32>
  %y = graph.mul %n, %s : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %z = graph.mul %n, %n : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  return %y, %z : tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// Moments over a middle axis (not trailing) or over different axes: not
// a row; the chain stays.
// CHECK-LABEL: func.func @not_trailing
// CHECK-NOT: gpu.launch
// CHECK: graph.div
// CHECK-LABEL: func.func @mixed_axes
// CHECK-NOT: gpu.launch
// CHECK: graph.div
func.func @not_trailing(%x: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %eps = graph.constant dense<1.0E-5> : tensor<f32>
  %axes = graph.constant dense<[1]> : tensor<1xi64>
  %mean = graph.reduce_mean %x, %axes : (tensor<4x8x16xf32>, tensor<1xi64>) -> tensor<4x1x16xf32>
  %dev = graph.sub %x, %mean : (tensor<4x8x16xf32>, tensor<4x1x16xf32>) -> tensor<4x8x16xf32>
  %sq = graph.mul %dev, %dev : (tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %var = graph.reduce_mean %sq, %axes : (tensor<4x8x16xf32>, tensor<1xi64>) -> tensor<4x1x16xf32>
  %ve = graph.add %var, %eps : (tensor<4x1x16xf32>, tensor<f32>) -> tensor<4x1x16xf32>
  %sd = graph.sqrt %ve : (tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
  %n = graph.div %dev, %sd : (tensor<4x8x16xf32>, tensor<4x1x16xf32>) -> tensor<4x8x16xf32>
  return %n : tensor<4x8x16xf32>
}
func.func @mixed_axes(%x: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %eps = graph.constant dense<1.0E-5> : tensor<f32>
  %last = graph.constant dense<[2]> : tensor<1xi64>
  %two = graph.constant dense<[1, 2]> : tensor<2xi64>
  %mean = graph.reduce_mean %x, %last : (tensor<4x8x16xf32>, tensor<1xi64>) -> tensor<4x8x1xf32>
  %dev = graph.sub %x, %mean : (tensor<4x8x16xf32>, tensor<4x8x1xf32>) -> tensor<4x8x16xf32>
  %sq = graph.mul %dev, %dev : (tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %var = graph.reduce_mean %sq, %two : (tensor<4x8x16xf32>, tensor<2xi64>) -> tensor<4x1x1xf32>
  %ve = graph.add %var, %eps : (tensor<4x1x1xf32>, tensor<f32>) -> tensor<4x1x1xf32>
  %sd = graph.sqrt %ve : (tensor<4x1x1xf32>) -> tensor<4x1x1xf32>
  %n = graph.div %dev, %sd : (tensor<4x8x16xf32>, tensor<4x1x1xf32>) -> tensor<4x8x16xf32>
  return %n : tensor<4x8x16xf32>
}
