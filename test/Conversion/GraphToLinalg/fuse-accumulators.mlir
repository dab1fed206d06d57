// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-fuse-accumulators{tile-bytes=2048}))' | FileCheck %s

// The requantization of an i32 convolution accumulator is tiled over its
// outer loops (here two output channels, 2x16x16 x 4 bytes = 2 KiB, the
// largest whole slice within 2 KiB) and the contraction and its fill move
// into the tiles: the accumulator exists one [1, 2, 16, 16] tile at a time.
// CHECK-LABEL: func.func @requantized_conv
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x2x16x16xi32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%[[E]] : tensor<1x2x16x16xi32>)
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: outs(%[[F]] : tensor<1x2x16x16xi32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[ACC]] : tensor<1x2x16x16xi32>)
// CHECK-SAME: outs(%{{.*}} : tensor<1x2x16x16xi8>)
// CHECK: tensor.insert_slice
// CHECK: } {mnemo.tiled = array<i64: 1, 2, 16, 16>}
// CHECK-NOT: tensor<1x8x16x16xi32>
#x = affine_map<(n, m, h, w, c) -> (n, c, h, w)>
#w = affine_map<(n, m, h, w, c) -> (m, c)>
#o = affine_map<(n, m, h, w, c) -> (n, m, h, w)>
#e = affine_map<(n, m, h, w) -> (n, m, h, w)>
func.func @requantized_conv(%x: tensor<1x4x16x16xi8>, %wt: tensor<8x4xi8>) -> tensor<1x8x16x16xi8> {
  %z = arith.constant 0 : i32
  %s = arith.constant 0.01 : f32
  %0 = tensor.empty() : tensor<1x8x16x16xi32>
  %1 = linalg.fill ins(%z : i32) outs(%0 : tensor<1x8x16x16xi32>) -> tensor<1x8x16x16xi32>
  %2 = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %wt : tensor<1x4x16x16xi8>, tensor<8x4xi8>) outs(%1 : tensor<1x8x16x16xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %a32 = arith.extui %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %p = arith.muli %a32, %b32 : i32
    %r = arith.addi %acc, %p : i32
    linalg.yield %r : i32
  } -> tensor<1x8x16x16xi32>
  %3 = tensor.empty() : tensor<1x8x16x16xi8>
  %4 = linalg.generic {indexing_maps = [#e, #e], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%2 : tensor<1x8x16x16xi32>) outs(%3 : tensor<1x8x16x16xi8>) {
  ^bb0(%a: i32, %o: i8):
    %f = arith.sitofp %a : i32 to f32
    %m = arith.mulf %f, %s : f32
    %r = math.roundeven %m : f32
    %q = arith.fptosi %r : f32 to i8
    linalg.yield %q : i8
  } -> tensor<1x8x16x16xi8>
  return %4 : tensor<1x8x16x16xi8>
}

// -----

// Elementwise ops that read no accumulator (an argument, a float tensor)
// are left alone.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.for
#m = affine_map<(i, j) -> (i, j)>
func.func @left_alone(%a: tensor<4x4xi32>, %b: tensor<64x64xf32>) -> (tensor<4x4xi8>, tensor<64x64xf32>) {
  %0 = tensor.empty() : tensor<4x4xi8>
  %1 = linalg.generic {indexing_maps = [#m, #m], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x4xi32>) outs(%0 : tensor<4x4xi8>) {
  ^bb0(%x: i32, %o: i8):
    %t = arith.trunci %x : i32 to i8
    linalg.yield %t : i8
  } -> tensor<4x4xi8>
  %2 = tensor.empty() : tensor<64x64xf32>
  %3 = linalg.generic {indexing_maps = [#m, #m], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<64x64xf32>) outs(%2 : tensor<64x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = arith.negf %x : f32
    linalg.yield %t : f32
  } -> tensor<64x64xf32>
  return %1, %3 : tensor<4x4xi8>, tensor<64x64xf32>
}

// -----

// A dynamically quantized matmul scaled back to float: 1030 columns x 4
// bytes > 2 KiB, tiles of 206 columns (the largest divisor within 512), so
// every tile is static.
// CHECK-LABEL: func.func @dequantized_matmul
// CHECK: scf.for
// CHECK: tensor.empty() : tensor<1x206xi32>
// CHECK: } {mnemo.tiled = array<i64: 1, 206>}
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
#e2 = affine_map<(i, j) -> (i, j)>
func.func @dequantized_matmul(%x: tensor<1x64xi8>, %w: tensor<64x1030xi8>) -> tensor<1x1030xf32> {
  %z = arith.constant 0 : i32
  %s = arith.constant 0.001 : f32
  %0 = tensor.empty() : tensor<1x1030xi32>
  %1 = linalg.fill ins(%z : i32) outs(%0 : tensor<1x1030xi32>) -> tensor<1x1030xi32>
  %2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x64xi8>, tensor<64x1030xi8>) outs(%1 : tensor<1x1030xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %p32 = arith.extui %p : i8 to i32
    %q32 = arith.extsi %q : i8 to i32
    %m = arith.muli %p32, %q32 : i32
    %r = arith.addi %acc, %m : i32
    linalg.yield %r : i32
  } -> tensor<1x1030xi32>
  %3 = tensor.empty() : tensor<1x1030xf32>
  %4 = linalg.generic {indexing_maps = [#e2, #e2], iterator_types = ["parallel", "parallel"]}
      ins(%2 : tensor<1x1030xi32>) outs(%3 : tensor<1x1030xf32>) {
  ^bb0(%v: i32, %o: f32):
    %f = arith.sitofp %v : i32 to f32
    %r = arith.mulf %f, %s : f32
    linalg.yield %r : f32
  } -> tensor<1x1030xf32>
  return %4 : tensor<1x1030xf32>
}

// -----

// A prime extent (1031 columns) would need 1031 one-column tiles: the
// accumulator is left whole.
// CHECK-LABEL: func.func @prime_columns
// CHECK-NOT: scf.for
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
#e2 = affine_map<(i, j) -> (i, j)>
func.func @prime_columns(%x: tensor<1x64xi8>, %w: tensor<64x1031xi8>) -> tensor<1x1031xf32> {
  %z = arith.constant 0 : i32
  %s = arith.constant 0.001 : f32
  %0 = tensor.empty() : tensor<1x1031xi32>
  %1 = linalg.fill ins(%z : i32) outs(%0 : tensor<1x1031xi32>) -> tensor<1x1031xi32>
  %2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x64xi8>, tensor<64x1031xi8>) outs(%1 : tensor<1x1031xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %p32 = arith.extui %p : i8 to i32
    %q32 = arith.extsi %q : i8 to i32
    %m = arith.muli %p32, %q32 : i32
    %r = arith.addi %acc, %m : i32
    linalg.yield %r : i32
  } -> tensor<1x1031xi32>
  %3 = tensor.empty() : tensor<1x1031xf32>
  %4 = linalg.generic {indexing_maps = [#e2, #e2], iterator_types = ["parallel", "parallel"]}
      ins(%2 : tensor<1x1031xi32>) outs(%3 : tensor<1x1031xf32>) {
  ^bb0(%v: i32, %o: f32):
    %f = arith.sitofp %v : i32 to f32
    %r = arith.mulf %f, %s : f32
    linalg.yield %r : f32
  } -> tensor<1x1031xf32>
  return %4 : tensor<1x1031xf32>
}
