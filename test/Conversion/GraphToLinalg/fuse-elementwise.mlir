// RUN: mnemo-opt %s --split-input-file --mnemo-fuse-elementwise | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-unshare-inits | FileCheck %s --check-prefix=UNSHARE

#id = affine_map<(i, j) -> (i, j)>
// A division feeding a matmul-like contraction is not fused into it (it
// would run once per output column); feeding an elementwise op, it is.
// CHECK-LABEL: func.func @no_recompute
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: arith.divf
// CHECK: return
func.func @no_recompute(%x: tensor<1x64xf32>, %w: tensor<64x32xf32>, %acc: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %c = arith.constant 49.0 : f32
  %e = tensor.empty() : tensor<1x64xf32>
  %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<1x64xf32>) outs(%e : tensor<1x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.divf %a, %c : f32
    linalg.yield %q : f32
  } -> tensor<1x64xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d, %w : tensor<1x64xf32>, tensor<64x32xf32>) outs(%acc : tensor<1x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x32xf32>
  return %m : tensor<1x32xf32>
}

// CHECK-LABEL: func.func @fused
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @fused(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %c = arith.constant 49.0 : f32
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x64xf32>
  %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<1x64xf32>) outs(%e : tensor<1x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.divf %a, %c : f32
    linalg.yield %q : f32
  } -> tensor<1x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d : tensor<1x64xf32>) outs(%e : tensor<1x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.maximumf %a, %z : f32
    linalg.yield %q : f32
  } -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}

// -----

// Two matmuls accumulate into one zero fill: each gets its own fill, right
// before it (so no fill's buffer is alive before its consumer needs it).
// UNSHARE-LABEL: func.func @shared_init
// UNSHARE: %[[F1:.*]] = linalg.fill
// UNSHARE-NEXT: linalg.matmul {{.*}} outs(%[[F1]]
// UNSHARE-NEXT: %[[F2:.*]] = linalg.fill
// UNSHARE-NEXT: linalg.matmul {{.*}} outs(%[[F2]]
// UNSHARE-NOT: linalg.fill
func.func @shared_init(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m2 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m1, %m2 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A quantization round trip before a reduction (a convolution's scaled
// accumulator rounded to 8 bits, then widened again and summed by a global
// average pool): the 8-bit tensor stays, with the scale and the rounding
// fused into one op and the widening into the sum; the pool reads 1 byte
// per element instead of the f32 scaled accumulator.
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#red = affine_map<(n, c, h, w) -> (n, c)>
// CHECK-LABEL: func.func @round_trip
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x8x7x7xi32>) outs(%{{.*}} : tensor<1x8x7x7xi8>)
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.fptoui
// CHECK: linalg.generic {{.*}}"reduction", "reduction"]} ins(%[[Q]] : tensor<1x8x7x7xi8>)
// CHECK: arith.extui
// CHECK-NOT: linalg.generic
func.func @round_trip(%acc: tensor<1x8x7x7xi32>, %z: tensor<1x8xi32>) -> tensor<1x8xi32> {
  %s = arith.constant 0.05 : f32
  %ef = tensor.empty() : tensor<1x8x7x7xf32>
  %f = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : tensor<1x8x7x7xi32>) outs(%ef : tensor<1x8x7x7xf32>) {
  ^bb0(%a: i32, %o: f32):
    %x = arith.sitofp %a : i32 to f32
    %y = arith.mulf %x, %s : f32
    linalg.yield %y : f32
  } -> tensor<1x8x7x7xf32>
  %eq = tensor.empty() : tensor<1x8x7x7xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%f : tensor<1x8x7x7xf32>) outs(%eq : tensor<1x8x7x7xi8>) {
  ^bb0(%a: f32, %o: i8):
    %r = math.roundeven %a : f32
    %u = arith.fptoui %r : f32 to i8
    linalg.yield %u : i8
  } -> tensor<1x8x7x7xi8>
  %ew = tensor.empty() : tensor<1x8x7x7xi32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<1x8x7x7xi8>) outs(%ew : tensor<1x8x7x7xi32>) {
  ^bb0(%a: i8, %o: i32):
    %x = arith.extui %a : i8 to i32
    linalg.yield %x : i32
  } -> tensor<1x8x7x7xi32>
  %sum = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%w : tensor<1x8x7x7xi32>) outs(%z : tensor<1x8xi32>) {
  ^bb0(%a: i32, %o: i32):
    %t = arith.addi %o, %a : i32
    linalg.yield %t : i32
  } -> tensor<1x8xi32>
  return %sum : tensor<1x8xi32>
}
