// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="vector-width=16 rows=4 dot=widen" --canonicalize --cse | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="vector-width=8 rows=2 dot=widen" --canonicalize --cse | FileCheck %s --check-prefix=AVX2

#in = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#wt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>

// A pointwise convolution as graph-fold-qdq leaves it (u8 activations, s8
// weights, i32 accumulator) on 14x14 maps: its rows lie back to back in
// the input and the output, so rows and columns run as one flat loop of
// 196 (the last two dims collapsed): output channels in blocks of 4
// accumulator vectors of 16 lanes, the input channel loop inside with the
// accumulators carried; 6 channels = one block of 4, then 2 one at a
// time; 196 = 12 whole vectors and a masked one of 4.
// CHECK-LABEL: func.func @pointwise
// CHECK: %[[C:.*]] = memref.collapse_shape %arg2 {{\[\[}}0], [1], [2, 3]] : memref<1x6x14x14xi32> into memref<1x6x196xi32>
// CHECK: %[[X:.*]] = memref.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]] : memref<1x32x14x14xi8> into memref<1x32x196xi8>
// CHECK: scf.for %[[J:.*]] = %c0 to %c192 step %c16
// CHECK-COUNT-4: vector.load %[[C]][%c0, %{{.*}}, %[[J]]] : memref<1x6x196xi32>, vector<16xi32>
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(
// CHECK: vector.load %[[X]]{{.*}} : memref<1x32x196xi8>, vector<16xi8>
// CHECK: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: memref.load %arg1
// CHECK: arith.extsi {{.*}} : i8 to i32
// CHECK: vector.broadcast
// CHECK: arith.muli {{.*}} : vector<16xi32>
// CHECK: arith.addi {{.*}} : vector<16xi32>
// CHECK: scf.yield
// CHECK-COUNT-4: vector.store {{.*}} : memref<1x6x196xi32>, vector<16xi32>
// CHECK: vector.constant_mask [4]
// CHECK: vector.maskedload %[[C]]
// CHECK: vector.maskedstore %[[C]]
// CHECK: scf.for %{{.*}} = %c4 to %c6 step %c1
// CHECK-NOT: linalg.generic
// AVX2-LABEL: func.func @pointwise
// AVX2: scf.for %{{.*}} = %c0 to %c6 step %c2
// AVX2: scf.for %{{.*}} = %c0 to %c192 step %c8
// AVX2-COUNT-2: vector.load %{{.*}} : memref<1x6x196xi32>, vector<8xi32>
// AVX2: vector.constant_mask [4]
func.func @pointwise(%x: memref<1x32x14x14xi8>, %w: memref<6x32x1x1xi8>, %y: memref<1x6x14x14xi32>) {
  linalg.generic {indexing_maps = [#in, #wt, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x32x14x14xi8>, memref<6x32x1x1xi8>) outs(%y : memref<1x6x14x14xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

// A matmul (the QGemm head, MatMulInteger): rows i, columns j contiguous in
// B and C; signed activations widened with extsi.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(
// CHECK: vector.load %arg1{{.*}} : memref<64x48xi8>, vector<16xi8>
// CHECK: arith.extsi {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: memref.load %arg0
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @matmul(%x: memref<4x64xi8>, %w: memref<64x48xi8>, %y: memref<4x48xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<4x64xi8>, memref<64x48xi8>) outs(%y : memref<4x48xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %0 = arith.extsi %p : i8 to i32
    %1 = arith.extsi %q : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %2, %acc : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

// Left alone: a stride-3 convolution (only strides 1 and 2 are read), a
// float body, a weight read transposed (j not innermost in either input).
// CHECK-LABEL: func.func @not_taken
// CHECK-COUNT-3: linalg.generic
#in3 = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h * 3 + kh, w * 3 + kw)>
#wt3 = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out3 = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
#b2 = affine_map<(i, j, k) -> (k, j)>
#a2 = affine_map<(i, j, k) -> (i, k)>
#bt = affine_map<(i, j, k) -> (j, k)>
#c2 = affine_map<(i, j, k) -> (i, j)>
func.func @not_taken(%x: memref<1x8x25x25xi8>, %w: memref<4x8x3x3xi8>, %y: memref<1x4x8x8xi32>,
                     %p: memref<4x64xf32>, %q: memref<64x48xf32>, %r: memref<4x48xf32>,
                     %s: memref<4x64xi8>, %t: memref<48x64xi8>, %u: memref<4x48xi32>) {
  linalg.generic {indexing_maps = [#in3, #wt3, #out3], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x8x25x25xi8>, memref<4x8x3x3xi8>) outs(%y : memref<1x4x8x8xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  linalg.generic {indexing_maps = [#a2, #b2, #c2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p, %q : memref<4x64xf32>, memref<64x48xf32>) outs(%r : memref<4x48xf32>) {
  ^bb0(%e: f32, %f: f32, %acc: f32):
    %0 = arith.mulf %e, %f : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#a2, #bt, #c2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%s, %t : memref<4x64xi8>, memref<48x64xi8>) outs(%u : memref<4x48xi32>) {
  ^bb0(%e: i8, %f: i8, %acc: i32):
    %0 = arith.extsi %e : i8 to i32
    %1 = arith.extsi %f : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

// A 3x3 stride-1 convolution on its padded input, the activations' zero
// point subtracted in the body (the pad holds it, so the border adds 0):
// the input channel and both taps are reduction loops carrying the
// accumulators; each tap reads B shifted along j (14 columns: one masked
// vector); the zero point is subtracted from the widened vector.
// CHECK-LABEL: func.func @conv3x3
// CHECK: %[[ZP:.*]] = arith.constant dense<136> : vector<16xi32>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args(
// CHECK: scf.for %[[KW:.*]] = %c0 to %c3 step %c1 iter_args(
// CHECK: vector.maskedload %arg0[%c0, %{{.*}}, %{{.*}}, %[[KW]]], {{.*}} : memref<1x8x16x16xi8>, vector<16xi1>, vector<16xi8>
// CHECK: arith.extui
// CHECK: arith.subi %{{.*}}, %[[ZP]] : vector<16xi32>
// CHECK-NOT: linalg.generic
#in4 = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#wt4 = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out4 = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
func.func @conv3x3(%x: memref<1x8x16x16xi8>, %w: memref<4x8x3x3xi8>, %y: memref<1x4x14x14xi32>) {
  %zp = arith.constant 136 : i32
  linalg.generic {indexing_maps = [#in4, #wt4, #out4], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x8x16x16xi8>, memref<4x8x3x3xi8>) outs(%y : memref<1x4x14x14xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.subi %0, %zp : i32
    %2 = arith.extsi %b : i8 to i32
    %3 = arith.muli %1, %2 : i32
    %4 = arith.addi %acc, %3 : i32
    linalg.yield %4 : i32
  }
  return
}

// -----

// A depthwise 3x3 convolution: no loop is read by the weight alone (the
// channel is read by both), so a block's rows are output rows: each step
// broadcasts one weight for all 4 rows and reads one input vector per row.
// CHECK-LABEL: func.func @depthwise
// CHECK: scf.for %[[C:.*]] = %c0 to %c8 step %c1
// CHECK: scf.for %[[H:.*]] = %c0 to %c12 step %c4
// CHECK-COUNT-4: vector.maskedload %arg2
// CHECK: scf.for %[[KH:.*]] = %c0 to %c3 step %c1 iter_args(
// CHECK: scf.for %[[KW:.*]] = %c0 to %c3 step %c1 iter_args(
// CHECK: memref.load %arg1[%[[C]], %[[KH]], %[[KW]]]
// CHECK: vector.broadcast
// CHECK-COUNT-4: vector.maskedload %arg0
// CHECK: scf.yield
// CHECK-NOT: linalg.generic
#din = affine_map<(n, c, h, w, kh, kw) -> (n, c, h + kh, w + kw)>
#dwt = affine_map<(n, c, h, w, kh, kw) -> (c, kh, kw)>
#dout = affine_map<(n, c, h, w, kh, kw) -> (n, c, h, w)>
func.func @depthwise(%x: memref<1x8x16x16xi8>, %w: memref<8x3x3xi8>, %y: memref<1x8x14x14xi32>) {
  linalg.generic {indexing_maps = [#din, #dwt, #dout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : memref<1x8x16x16xi8>, memref<8x3x3xi8>) outs(%y : memref<1x8x14x14xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

// A stride-2 convolution: each tap reads the 2 x 8 - 1 bytes its eight
// columns span (a masked load, nothing past the last) and keeps the even
// ones.
// CHECK-LABEL: func.func @stride2
// CHECK: vector.constant_mask [15] : vector<32xi1>
// CHECK: vector.maskedload %arg0{{.*}} : memref<1x4x17x17xi8>, vector<32xi1>, vector<32xi8> into vector<32xi8>
// CHECK: vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<32xi8>, vector<32xi8>
// CHECK-NOT: linalg.generic
#sin = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h * 2 + kh, w * 2 + kw)>
#swt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#sout = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
func.func @stride2(%x: memref<1x4x17x17xi8>, %w: memref<4x4x3x3xi8>, %y: memref<1x4x8x8xi32>) {
  linalg.generic {indexing_maps = [#sin, #swt, #sout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x4x17x17xi8>, memref<4x4x3x3xi8>) outs(%y : memref<1x4x8x8xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
