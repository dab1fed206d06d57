// RUN: mnemo-opt %s --mnemo-cpu-parallelize-loops="min-work=1024 chunks=4" | FileCheck %s

// A large elementwise op is split into 4 chunks along its first dim with
// two or more iterations (the unit batch dim is skipped).
// CHECK-LABEL: func.func @large
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: memref.subview %{{.*}} : memref<1x8x16x16xf32> to memref<1x2x16x16xf32
// CHECK: linalg.generic
func.func @large(%a: memref<1x8x16x16xf32>, %b: memref<1x8x16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : memref<1x8x16x16xf32>) outs(%b : memref<1x8x16x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Below min-work, and ops with only dynamic dims, stay sequential.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
// CHECK: linalg.fill
// CHECK: linalg.fill
func.func @small(%a: memref<8x8xf32>, %d: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%a : memref<8x8xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<?x?xf32>)
  return
}

// Work counts each iteration's operands and payload ops against a
// one-input elementwise op's 3: 256 iterations of a ReLU (256 units) stay
// sequential, 256 iterations of a transform reading 4 and writing 2
// elements with 6 adds (12 operands and ops: 1024 units) are split.
// CHECK-LABEL: func.func @weighted
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0 : memref<1x4x8x8xf32>) outs(%arg1 :
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: memref.subview %arg0[0, %{{.*}}, 0, 0] [1, 1, 8, 8]
func.func @weighted(%a: memref<1x4x8x8xf32>, %b: memref<1x4x8x8xf32>, %c: memref<1x4x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : memref<1x4x8x8xf32>) outs(%b : memref<1x4x8x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b, %c, %a : memref<1x4x8x8xf32>, memref<1x4x8x8xf32>, memref<1x4x8x8xf32>, memref<1x4x8x8xf32>) outs(%b, %c : memref<1x4x8x8xf32>, memref<1x4x8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32, %w: f32, %o: f32, %p: f32):
    %s0 = arith.addf %x, %y : f32
    %s1 = arith.addf %z, %w : f32
    %s2 = arith.addf %s0, %s1 : f32
    %s3 = arith.subf %x, %y : f32
    %s4 = arith.subf %z, %w : f32
    %s5 = arith.addf %s3, %s4 : f32
    linalg.yield %s2, %s5 : f32, f32
  }
  return
}

// An 8-bit contraction (a 3x3 convolution on an accumulator tile of 4
// output channels) is split along the output rows h, which the input
// reads, not along the channels: each chunk keeps all 4 channels as rows
// of one register block sharing every input vector.
// CHECK-LABEL: func.func @int8_conv
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: memref.subview %arg2[0, 0, %{{.*}}, 0] [1, 4, 7, 28]
// CHECK: linalg.generic
#cin = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#cwt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#cout = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
func.func @int8_conv(%x: memref<1x16x30x30xi8>, %w: memref<4x16x3x3xi8>, %y: memref<1x4x28x28xi32>) {
  linalg.generic {indexing_maps = [#cin, #cwt, #cout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x16x30x30xi8>, memref<4x16x3x3xi8>) outs(%y : memref<1x4x28x28xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// A pointwise 8-bit convolution (no window along the row) is split by
// output channels while each piece keeps 8 (64 channels: up to 8 pieces;
// chunks=4 here, so 4 of 16), so its rows and columns still run as one
// flat loop of 196; 24 channels (fewer than two pieces of 8) are split by
// rows instead.
// CHECK-LABEL: func.func @int8_pointwise
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: memref.subview %arg2[0, %{{.*}}, 0, 0] [1, 16, 14, 14]
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: memref.subview %arg3[0, 0, %{{.*}}, 0] [1, 12, %{{.*}}, 14]
#pin = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#pwt = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#pout = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
func.func @int8_pointwise(%x: memref<1x16x14x14xi8>, %w: memref<64x16x1x1xi8>, %y: memref<1x64x14x14xi32>, %z: memref<1x12x14x14xi32>, %v: memref<12x16x1x1xi8>) {
  linalg.generic {indexing_maps = [#pin, #pwt, #pout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x16x14x14xi8>, memref<64x16x1x1xi8>) outs(%y : memref<1x64x14x14xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  linalg.generic {indexing_maps = [#pin, #pwt, #pout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %v : memref<1x16x14x14xi8>, memref<12x16x1x1xi8>) outs(%z : memref<1x12x14x14xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
