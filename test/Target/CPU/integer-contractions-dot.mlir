// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="vector-width=16 rows=4 dot=vpdpbusd" --canonicalize --cse | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="vector-width=8 rows=4 dot=vpmaddwd" --canonicalize --cse | FileCheck %s --check-prefix=PAIRS
// The target decides: AVX-512 VNNI (cascadelake) takes vpdpbusd on zmm,
// AVX-VNNI (alderlake) on ymm; without VNNI, exact 16-bit pairs on
// vpmaddwd: AVX-512BW (skylake-avx512) on zmm, AVX2 (x86-64-v3) on ymm.
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="cpu=cascadelake" | FileCheck %s --check-prefix=VNNI512
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="cpu=alderlake" | FileCheck %s --check-prefix=VNNI256
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="cpu=skylake-avx512" | FileCheck %s --check-prefix=NOVNNI
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-integer-contractions="cpu=x86-64-v3" | FileCheck %s --check-prefix=AVX2

#in = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#wt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>

// A pointwise convolution, u8 activations x s8 weights (the dot product's
// own signedness: nothing to compensate), 34 input channels: 32 in groups
// of four (four rows of the input interleaved so that each i32 lane holds
// its column's four bytes, the weight's four bytes broadcast as one i32,
// one vpdpbusd per row), then 2 one at a time, widened.
// CHECK-LABEL: func.func @pointwise
// CHECK-DAG: %[[W:.*]] = memref.collapse_shape %arg1 {{\[\[}}0], [1, 2, 3]] : memref<6x34x1x1xi8> into memref<6x34xi8>
// CHECK-DAG: %[[X:.*]] = memref.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]] : memref<1x34x14x14xi8> into memref<1x34x196xi8>
// CHECK: scf.for %[[K:.*]] = %c0 to %c32 step %c4 iter_args(
// CHECK-COUNT-4: vector.load %[[X]]{{.*}} : memref<1x34x196xi8>, vector<16xi8>
// CHECK: vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// CHECK: vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// CHECK: vector.shuffle {{.*}} [0, 16, 32, 48, 1, 17, 33, 49, {{.*}}] : vector<32xi8>, vector<32xi8>
// CHECK: vector.load %[[W]][%c0, %[[K]]] : memref<6x34xi8>, vector<4xi8>
// CHECK: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: vector.bitcast {{.*}} : vector<16xi32> to vector<64xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-NOT: arith.xori
// CHECK: scf.yield
// CHECK: scf.for %{{.*}} = %c32 to %c34 step %c1 iter_args(
// CHECK: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: arith.muli
// CHECK-NOT: linalg.generic
// VNNI512-LABEL: func.func @pointwise
// VNNI512: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI256-LABEL: func.func @pointwise
// VNNI256: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"{{.*}} : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// NOVNNI-LABEL: func.func @pointwise
// NOVNNI: llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"{{.*}} : (vector<32xi16>, vector<32xi16>) -> vector<16xi32>
// AVX2-LABEL: func.func @pointwise
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"{{.*}} : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// With 16-bit pairs, two rows of B widened and interleaved, the weight's
// two bytes widened and broadcast as one i32; 34 channels = 17 pairs.
// PAIRS-LABEL: func.func @pointwise
// PAIRS: scf.for %[[K:.*]] = %c0 to %c34 step %c2 iter_args(
// PAIRS-COUNT-2: vector.load {{.*}} : memref<1x34x196xi8>, vector<8xi8>
// PAIRS: vector.interleave {{.*}} : vector<8xi16> -> vector<16xi16>
// PAIRS: vector.load %{{.*}}[%c0, %[[K]]] : memref<6x34xi8>, vector<2xi8>
// PAIRS: arith.extsi {{.*}} : vector<2xi8> to vector<2xi16>
// PAIRS: vector.bitcast {{.*}} : vector<2xi16> to vector<1xi32>
// PAIRS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS: arith.addi {{.*}} : vector<8xi32>
func.func @pointwise(%x: memref<1x34x14x14xi8>, %w: memref<6x34x1x1xi8>, %y: memref<1x6x14x14xi32>) {
  linalg.generic {indexing_maps = [#in, #wt, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x34x14x14xi8>, memref<6x34x1x1xi8>) outs(%y : memref<1x6x14x14xi32>) {
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

#in = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#wt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>

// s8 activations minus a zero point (B), u8 weights minus a zero point
// (A): B is flipped to u8 (xor 0x80) and A to s8, and the offsets are
// compensated exactly: each row starts from alphaB x (the sum of its fed
// weights) + points x alphaA x alphaB, computed once per block of rows
// before the column loops; the column sums of B ride along as one more
// vpdpbusd with ones and are added x alphaA at the end.
// CHECK-LABEL: func.func @offsets
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1> : vector<64xi8>
// CHECK-DAG: %[[FLIP:.*]] = arith.constant dense<-128> : vector<64xi8>
// alphaB = -128 - (-5) = -123, alphaA = 128 - 131 = -3, 32 points:
// 32 x -3 x -123 = 11808.
// CHECK-DAG: %[[AB:.*]] = arith.constant -123 : i32
// CHECK-DAG: %[[REST:.*]] = arith.constant 11808 : i32
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (i32)
// CHECK: memref.load %arg1
// CHECK: arith.xori {{.*}} : i8
// CHECK: arith.extsi {{.*}} : i8 to i32
// CHECK: %[[SUM:.*]] = arith.muli %{{.*}}, %[[AB]] : i32
// CHECK: arith.addi %[[SUM]], %[[REST]] : i32
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c4 iter_args(
// CHECK: arith.xori %{{.*}}, %[[FLIP]] : vector<64xi8>
// CHECK: arith.xori {{.*}} : vector<4xi8>
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %[[ONES]])
// CHECK: scf.yield
// CHECK: arith.muli {{.*}} : vector<16xi32>
// CHECK-COUNT-4: arith.addi {{.*}} : vector<16xi32>
// CHECK-NOT: linalg.generic
// With pairs the zero points are subtracted in 16 bits (|x - z| <= 255):
// no compensation.
// PAIRS-LABEL: func.func @offsets
// PAIRS-NOT: iter_args({{.*}}) -> (i32)
// PAIRS: arith.subi {{.*}} : vector<8xi16>
// PAIRS: arith.subi {{.*}} : vector<2xi16>
// PAIRS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
func.func @offsets(%x: memref<1x32x14x14xi8>, %w: memref<4x32x1x1xi8>, %y: memref<1x4x14x14xi32>) {
  %zx = arith.constant -5 : i32
  %zw = arith.constant 131 : i32
  linalg.generic {indexing_maps = [#in, #wt, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x32x14x14xi8>, memref<4x32x1x1xi8>) outs(%y : memref<1x4x14x14xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extsi %a : i8 to i32
    %1 = arith.subi %0, %zx : i32
    %2 = arith.extui %b : i8 to i32
    %3 = arith.subi %2, %zw : i32
    %4 = arith.muli %1, %3 : i32
    %5 = arith.addi %acc, %4 : i32
    linalg.yield %5 : i32
  }
  return
}

// -----

#in = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#wt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>

// A convolution's constant weight [F][C][KH][KW] holds four input
// channels KH x KW bytes apart: a copy [F][KH][KW][C] is made at compile
// time (w[f][c][kh][kw] = 16 f + 4 c + 2 kh + kw here, so the copy reads
// 0, 4, 8, 12, 1, 5, ...), the thread chunk's subview is made of the copy,
// and the channel loop runs in groups of four, a weight broadcast per tap.
// CHECK: memref.global "private" constant @w2_inner1 : memref<2x2x2x4xi8> = dense<{{\[\[\[\[}}0, 4, 8, 12], [1, 5, 9, 13]], {{\[\[}}2, 6, 10, 14], [3, 7, 11, 15]]], {{\[\[\[}}16, 20, 24, 28]
// CHECK-NOT: memref.global "private" constant @w2 :
// CHECK-LABEL: func.func @conv2x2
// CHECK: %[[G:.*]] = memref.get_global @w2_inner1 : memref<2x2x2x4xi8>
// CHECK: %[[S:.*]] = memref.subview %[[G]][%arg2, 0, 0, 0] [1, 2, 2, 4] [1, 1, 1, 1]
// (One group of four channels: its loop folds away.)
// CHECK: scf.for %[[KH:.*]] = %c0 to %c2 step %c1 iter_args(
// CHECK: scf.for %[[KW:.*]] = %c0 to %c2 step %c1 iter_args(
// CHECK-COUNT-4: vector.maskedload %arg0
// CHECK: vector.load %[[S]][%c0, %[[KH]], %[[KW]], %c0] : memref<1x2x2x4xi8, {{.*}}>, vector<4xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: linalg.generic
memref.global "private" constant @w2 : memref<2x4x2x2xi8> = dense<[[[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9], [10, 11]], [[12, 13], [14, 15]]], [[[16, 17], [18, 19]], [[20, 21], [22, 23]], [[24, 25], [26, 27]], [[28, 29], [30, 31]]]]>
func.func @conv2x2(%x: memref<1x4x5x5xi8>, %y: memref<1x2x4x4xi32>, %f0: index) {
  %w = memref.get_global @w2 : memref<2x4x2x2xi8>
  %wc = memref.subview %w[%f0, 0, 0, 0] [1, 4, 2, 2] [1, 1, 1, 1] : memref<2x4x2x2xi8> to memref<1x4x2x2xi8, strided<[16, 4, 2, 1], offset: ?>>
  %yc = memref.subview %y[0, %f0, 0, 0] [1, 1, 4, 4] [1, 1, 1, 1] : memref<1x2x4x4xi32> to memref<1x1x4x4xi32, strided<[32, 16, 4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#in, #wt, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %wc : memref<1x4x5x5xi8>, memref<1x4x2x2xi8, strided<[16, 4, 2, 1], offset: ?>>) outs(%yc : memref<1x1x4x4xi32, strided<[32, 16, 4, 1], offset: ?>>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
