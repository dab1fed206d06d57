// RUN: mnemo-opt %s --split-input-file --mnemo-graph-to-linalg --mnemo-cpu-bufferize | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-graph-to-linalg | FileCheck %s --check-prefix=TENSOR

// A head-major step bufferizes in place: the new token is copied into a
// one-token subview of the caller's cache (position clamped into [0, 63]),
// and attention reads a subview of the first position + 1 tokens. No
// buffer of the cache's size is allocated.
// CHECK-LABEL: func.func @head_major(
// CHECK-SAME: %[[NEW:.*]]: memref<1x2x1x8xf32>, %[[POS:.*]]: memref<1xi64>, %[[C:.*]]: memref<1x2x64x8xf32>)
// CHECK-NOT: memref.alloc{{.*}}64x8
// CHECK: %[[P:.*]] = memref.load %[[POS]]
// CHECK: %[[I:.*]] = arith.index_cast %[[P]]
// CHECK: %[[MIN:.*]] = arith.minsi %[[I]], %c63
// CHECK: %[[AT:.*]] = arith.maxsi %[[MIN]], %c0
// CHECK: %[[DST:.*]] = memref.subview %[[C]][0, 0, %[[AT]], 0] [1, 2, 1, 8] [1, 1, 1, 1]
// CHECK: memref.copy %[[NEW]], %[[DST]]
// CHECK: %[[LEN:.*]] = arith.maxsi {{.*}}, %c0
// CHECK: %[[PAST:.*]] = memref.subview %[[C]][0, 0, 0, 0] [1, 2, %[[LEN]], 8]
// CHECK-NOT: memref.alloc{{.*}}64x8
// CHECK: linalg.generic {{.*}} ins(%[[PAST]]
func.func @head_major(%new: tensor<1x2x1x8xf32>, %pos: tensor<1xi64>, %cache: tensor<1x2x64x8xf32>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  %w = graph.kv_cache_write(%cache), %new, %pos, %none {layout = "head-major"} : (tensor<1x2x64x8xf32>, tensor<1x2x1x8xf32>, tensor<1xi64>, none) -> tensor<1x2x64x8xf32>
  %one = graph.constant dense<1> : tensor<1xi64>
  %len = graph.add %pos, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %r = graph.kv_cache_read(%w), %len, %none {layout = "head-major"} : (tensor<1x2x64x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  %e = graph.exp %r : (tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %e : tensor<1x2x?x8xf32>
}

// -----

// Paged: a token goes to block table[pos / 16] (clamped into the pool of
// 4), row pos % 16 (a loop over tokens, folded away for one token); the
// read gathers through the table.
// TENSOR-LABEL: func.func @paged(
// TENSOR: arith.divsi
// TENSOR: %[[B:.*]] = tensor.extract %arg2[
// TENSOR: %[[BI:.*]] = arith.index_cast %[[B]]
// TENSOR: %[[BMIN:.*]] = arith.minsi %[[BI]], %c3
// TENSOR: %[[BLK:.*]] = arith.maxsi %[[BMIN]], %c0
// TENSOR: %[[ROW:.*]] = arith.remsi
// TENSOR: tensor.insert_slice %arg0 into %arg3[%[[BLK]], 0, %[[ROW]], 0] [1, 2, 1, 8]
// TENSOR: linalg.generic
// TENSOR: tensor.extract %arg2[
// TENSOR: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : tensor<4x2x16x8xf32>
func.func @paged(%new: tensor<1x2x1x8xf32>, %pos: tensor<1xi64>, %table: tensor<4xi64>, %cache: tensor<4x2x16x8xf32>) -> tensor<1x2x?x8xf32> {
  %w = graph.kv_cache_write(%cache), %new, %pos, %table {layout = "paged", block_size = 16 : i64} : (tensor<4x2x16x8xf32>, tensor<1x2x1x8xf32>, tensor<1xi64>, tensor<4xi64>) -> tensor<4x2x16x8xf32>
  %r = graph.kv_cache_read(%w), %pos, %table {layout = "paged", block_size = 16 : i64} : (tensor<4x2x16x8xf32>, tensor<1xi64>, tensor<4xi64>) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

// -----

// int8 values: per-token scale max|v|/127, round to nearest even, clamp.
// TENSOR-LABEL: func.func @int8_values(
// TENSOR: math.absf
// TENSOR: arith.maximumf
// TENSOR: arith.divf
// TENSOR: math.roundeven
// TENSOR: arith.fptosi {{.*}} to i8
// TENSOR: tensor.insert_slice {{.*}} into %arg2
// TENSOR: tensor.insert_slice {{.*}} into %arg3
// TENSOR: arith.sitofp
// TENSOR: arith.mulf
func.func @int8_values(%new: tensor<1x2x1x8xf32>, %pos: tensor<1xi64>, %q: tensor<1x2x64x8xi8>, %s: tensor<1x2x64x1xf32>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  %w:2 = graph.kv_cache_write(%q, %s), %new, %pos, %none {layout = "int8", kind = "value"} : (tensor<1x2x64x8xi8>, tensor<1x2x64x1xf32>, tensor<1x2x1x8xf32>, tensor<1xi64>, none) -> (tensor<1x2x64x8xi8>, tensor<1x2x64x1xf32>)
  %r = graph.kv_cache_read(%w#0, %w#1), %pos, %none {layout = "int8", kind = "value"} : (tensor<1x2x64x8xi8>, tensor<1x2x64x1xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

// -----

// kivi2 keys: the token goes into the f32 group at pos % 16; the filled
// part of the group gets per-channel min and (max - min) / 3, its codes
// (round half to even, clamped to [0, 3]) are packed four per byte and
// written from the group's start. The read takes positions of the group
// being filled from the f32 copy and dequantizes the rest.
// TENSOR-LABEL: func.func @kivi2_keys(
// TENSOR: arith.remsi
// TENSOR: tensor.insert_slice {{.*}} into %{{.*}}[0, 0, %{{.*}}, 0] [1, 2, 1, 8]
// TENSOR: arith.minimumf
// TENSOR: arith.maximumf
// TENSOR: arith.subf
// TENSOR: arith.divf
// TENSOR: math.roundeven
// TENSOR: arith.shli
// TENSOR: arith.ori
// TENSOR: arith.trunci {{.*}} to i8
// TENSOR: tensor.insert_slice {{.*}} : tensor<1x2x?x2xi8> into tensor<1x2x64x2xi8>
// TENSOR: tensor.insert_slice {{.*}} : tensor<1x2x1x8xf32> into tensor<1x2x4x8xf32>
// TENSOR: tensor.insert_slice {{.*}} : tensor<1x2x1x8xf32> into tensor<1x2x4x8xf32>
// TENSOR: linalg.generic
// TENSOR: arith.shrui
// TENSOR: arith.andi
// TENSOR: arith.mulf
// TENSOR: arith.addf
// TENSOR: arith.cmpi sge
// TENSOR: arith.select
func.func @kivi2_keys(%new: tensor<1x2x1x8xf32>, %pos: tensor<1xi64>, %q: tensor<1x2x64x2xi8>, %s: tensor<1x2x4x8xf32>, %m: tensor<1x2x4x8xf32>, %g: tensor<1x2x16x8xf32>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  %w:4 = graph.kv_cache_write(%q, %s, %m, %g), %new, %pos, %none {layout = "kivi2", group = 16 : i64} : (tensor<1x2x64x2xi8>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x1x8xf32>, tensor<1xi64>, none) -> (tensor<1x2x64x2xi8>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x16x8xf32>)
  %r = graph.kv_cache_read(%w#0, %w#1, %w#2, %w#3), %pos, %none {layout = "kivi2", group = 16 : i64} : (tensor<1x2x64x2xi8>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x16x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

// -----

// kivi2 values bufferize in place: the token goes into the group, and only
// its own codes, scale and minimum (one row each) into subviews of the
// caller's buffers (the loop over one token folds away); nothing of the
// cache's size is allocated.
// CHECK-LABEL: func.func @kivi2_values(
// CHECK-NOT: memref.alloc{{.*}}64x2xi8
// CHECK-NOT: memref.alloc{{.*}}64x1xf32
// CHECK: memref.subview %{{.*}}[0, 0, %{{.*}}, 0] [1, 2, 1, 8] [1, 1, 1, 1] : memref<1x2x16x8xf32>
// CHECK: memref.subview %{{.*}}[0, 0, %{{.*}}, 0] [1, 2, 1, 1] [1, 1, 1, 1] : memref<1x2x64x1xf32>
// CHECK: memref.subview %{{.*}}[0, 0, %{{.*}}, 0] [1, 2, 1, 1] [1, 1, 1, 1] : memref<1x2x64x1xf32>
// CHECK: memref.subview %{{.*}}[0, 0, %{{.*}}, 0] [1, 2, 1, 2] [1, 1, 1, 1] : memref<1x2x64x2xi8>
// CHECK-NOT: memref.alloc{{.*}}64x2xi8
// CHECK: return
func.func @kivi2_values(%new: tensor<1x2x1x8xf32>, %pos: tensor<1xi64>, %q: tensor<1x2x64x2xi8>, %s: tensor<1x2x64x1xf32>, %m: tensor<1x2x64x1xf32>, %g: tensor<1x2x16x8xf32>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  %w:4 = graph.kv_cache_write(%q, %s, %m, %g), %new, %pos, %none {layout = "kivi2", kind = "value", group = 16 : i64} : (tensor<1x2x64x2xi8>, tensor<1x2x64x1xf32>, tensor<1x2x64x1xf32>, tensor<1x2x16x8xf32>, tensor<1x2x1x8xf32>, tensor<1xi64>, none) -> (tensor<1x2x64x2xi8>, tensor<1x2x64x1xf32>, tensor<1x2x64x1xf32>, tensor<1x2x16x8xf32>)
  %r = graph.kv_cache_read(%w#0, %w#1, %w#2, %w#3), %pos, %none {layout = "kivi2", kind = "value", group = 16 : i64} : (tensor<1x2x64x2xi8>, tensor<1x2x64x1xf32>, tensor<1x2x64x1xf32>, tensor<1x2x16x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}
