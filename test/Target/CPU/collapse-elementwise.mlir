// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-collapse-elementwise | FileCheck %s

// CHECK: #[[BIAS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, 0, 0)>

// An int8 requantization of a 4-channel accumulator tile at 14x14 (the
// bias broadcast along the map): every operand that reads h and w holds
// them back to back, so they become one loop of 196; the channel stays
// apart (the bias reads it without h and w).
// CHECK-LABEL: func.func @requant
// CHECK-DAG: memref.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]] : memref<1x4x14x14xi32> into memref<1x4x196xi32>
// CHECK-DAG: memref.collapse_shape %arg2 {{\[\[}}0], [1], [2, 3]] : memref<1x4x14x14xi8> into memref<1x4x196xi8>
// CHECK: linalg.generic {indexing_maps = [#[[ID:.*]], #[[BIAS]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}}, %arg1 : memref<1x4x196xi32>, memref<1x4x1x1xi32>)
#m4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#b4 = affine_map<(n, c, h, w) -> (n, c, 0, 0)>
func.func @requant(%acc: memref<1x4x14x14xi32>, %bias: memref<1x4x1x1xi32>, %out: memref<1x4x14x14xi8>) {
  %s = arith.constant 0.05 : f32
  linalg.generic {indexing_maps = [#m4, #b4, #m4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc, %bias : memref<1x4x14x14xi32>, memref<1x4x1x1xi32>) outs(%out : memref<1x4x14x14xi8>) {
  ^bb0(%a: i32, %b: i32, %o: i8):
    %0 = arith.addi %a, %b : i32
    %1 = arith.sitofp %0 : i32 to f32
    %2 = arith.mulf %1, %s : f32
    %3 = arith.fptosi %2 : f32 to i8
    linalg.yield %3 : i8
  }
  return
}

// -----

// A padded map's interior: row h + 1 starts 16 elements on, not 14, so
// nothing is collapsed. A thread's chunk of channels of a whole map
// (channels and rows back to back) collapses c, h and w into one loop of
// ? x 196; the batch dim, whose stride is the whole map's, stays.
// CHECK-LABEL: func.func @views
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : memref<1x?x14x14xf32, strided<[3136, 196, 14, 1], offset: ?>> into memref<1x?xf32, strided<[3136, 1], offset: ?>>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @views(%padded: memref<1x16x16x16xf32>, %whole: memref<1x16x14x14xf32>, %c: index, %k: index) {
  %interior = memref.subview %padded[0, 0, 1, 1] [1, 16, 14, 14] [1, 1, 1, 1] : memref<1x16x16x16xf32> to memref<1x16x14x14xf32, strided<[4096, 256, 16, 1], offset: 17>>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%interior : memref<1x16x14x14xf32, strided<[4096, 256, 16, 1], offset: 17>>) {
  ^bb0(%o: f32):
    %0 = arith.addf %o, %o : f32
    linalg.yield %0 : f32
  }
  %chunk = memref.subview %whole[0, %c, 0, 0] [1, %k, 14, 14] [1, 1, 1, 1] : memref<1x16x14x14xf32> to memref<1x?x14x14xf32, strided<[3136, 196, 14, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%chunk : memref<1x?x14x14xf32, strided<[3136, 196, 14, 1], offset: ?>>) {
  ^bb0(%o: f32):
    %0 = arith.maximumf %o, %o : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Left alone: a reduction (vectorize-reductions' business) and an op
// reading its input transposed (the loops are not in order in it).
// CHECK-LABEL: func.func @not_taken
// CHECK-NOT: memref.collapse_shape
#r_in = affine_map<(i, j) -> (i, j)>
#r_out = affine_map<(i, j) -> (i)>
#t = affine_map<(i, j) -> (j, i)>
func.func @not_taken(%x: memref<8x8xf32>, %y: memref<8xf32>, %z: memref<8x8xf32>) {
  linalg.generic {indexing_maps = [#r_in, #r_out], iterator_types = ["parallel", "reduction"]} ins(%x : memref<8x8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.addf %a, %o : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#t, #r_in], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x8xf32>) outs(%z : memref<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}
