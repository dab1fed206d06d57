// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=4 vectors=2" | FileCheck %s

// The channel-blocked kernels (mnemo-cpu-block-channels' generics).
// A depthwise convolution in 8-channel blocks: both inputs run along the
// channel vector, so the weight (which does not vary along the rows) is
// one vector load per tap shared by the 4 rows of pixels, each row's
// input a vector load, and the product is lane by lane (no broadcast).
// CHECK-LABEL: func.func @depthwise
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.for {{.*}} iter_args
// CHECK-NOT: vector.broadcast
// CHECK: %[[W:.*]] = vector.load %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x3x3x8xf32>, vector<8xf32>
// CHECK: %[[X:.*]] = vector.load %arg0{{.*}} : memref<1x2x6x6x8xf32>, vector<8xf32>
// CHECK: vector.fma %[[W]], %[[X]]
// CHECK-COUNT-3: vector.fma %[[W]]
// CHECK-NOT: vector.broadcast
// CHECK: vector.store
// CHECK-NOT: linalg.generic
#x = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2 + d5, d3 + d6, d4)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d5, d6, d4)>
#o = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4)>
func.func @depthwise(%x: memref<1x2x6x6x8xf32>, %w: memref<2x3x3x8xf32>, %o: memref<1x2x4x4x8xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : memref<1x2x6x6x8xf32>, memref<2x3x3x8xf32>) outs(%o : memref<1x2x4x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----
// Pointwise in 8-channel blocks: the output channels are one vector, so
// the block's 2 vectors run along the channel-block dim instead (w'[fo]
// and w'[fo + 1] per reduction step, each input pixel broadcast once for
// both). The residual add and ReLU after it fold into the stores: the
// residual is loaded where each accumulator is stored, and the add's
// separate pass is gone.
// CHECK-LABEL: func.func @pointwise_residual
// CHECK: scf.for %[[FO:.*]] = %c0{{.*}} to %c4{{.*}} step %c2
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.for {{.*}} iter_args
// CHECK: %[[B:.*]] = vector.broadcast
// CHECK: %[[W0:.*]] = vector.load %arg1[%[[FO]], {{.*}} : memref<4x2x8x8xf32>, vector<8xf32>
// CHECK: vector.fma %[[B]], %[[W0]]
// CHECK: %[[FO1:.*]] = arith.addi %[[FO]], %c1
// CHECK: %[[W1:.*]] = vector.load %arg1[%[[FO1]], {{.*}} : memref<4x2x8x8xf32>, vector<8xf32>
// CHECK: vector.fma %[[B]], %[[W1]]
// CHECK: %[[R:.*]] = vector.load %arg2[{{.*}}] : memref<1x4x9x8xf32>, vector<8xf32>
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %[[R]] : vector<8xf32>
// CHECK: %[[M:.*]] = arith.maximumf %[[S]]
// CHECK: vector.store %[[M]], %arg2
// CHECK-NOT: linalg.generic

#px = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d2, d5)>
#pw = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d4, d5, d3)>
#po = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @pointwise_residual(%x: memref<1x2x9x8xf32>, %w: memref<4x2x8x8xf32>, %r: memref<1x4x9x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %o = memref.alloc() : memref<1x4x9x8xf32>
  linalg.fill ins(%zero : f32) outs(%o : memref<1x4x9x8xf32>)
  linalg.generic {indexing_maps = [#px, #pw, #po], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : memref<1x2x9x8xf32>, memref<4x2x8x8xf32>) outs(%o : memref<1x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%o, %r : memref<1x4x9x8xf32>, memref<1x4x9x8xf32>) outs(%r : memref<1x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  }
  return
}
