// RUN: mnemo-opt %s --split-input-file --mnemo-in-place-channel-tiles | FileCheck %s
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn_int8.onnx | mnemo-opt --mnemo-graph-to-linalg --mnemo-fuse-accumulators=tile-bytes=16384 --canonicalize --cse --mnemo-in-place-channel-tiles | FileCheck %s --check-prefix=MODEL

// A depthwise convolution tiled by 2 channels, reading its padded input one
// tile at a time: the loop starts from the input, and each iteration pads
// the tile it is about to overwrite (a 1x2x10x10 scratch, no 1x8x10x10 copy).
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[X:.*]] = linalg.generic
// CHECK-NOT: tensor<1x8x10x10xi8>
// CHECK: scf.for %[[C:.*]] = %c0 to %c8 step %c2 iter_args(%[[ACC:.*]] = %[[X]]) -> (tensor<1x8x8x8xi8>)
// CHECK: %[[T:.*]] = tensor.extract_slice %[[ACC]][0, %[[C]], 0, 0] [1, 2, 8, 8] [1, 1, 1, 1]
// CHECK: tensor.pad %[[T]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: } : tensor<1x2x8x8xi8> to tensor<1x2x10x10xi8>
// CHECK: tensor.insert_slice %{{.*}} into %[[ACC]][0, %[[C]], 0, 0] [1, 2, 8, 8]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#in = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
#w = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d4, d5)>
#out = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @depthwise(%a: tensor<1x8x8x8xi8>, %w: tensor<8x3x3xi8>) -> tensor<1x8x8x8xi8> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0 : i8
  %z32 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x8x8x8xi8>
  // The input, computed here (an elementwise op) and read by the pad only.
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x8x8x8xi8>) outs(%e : tensor<1x8x8x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.addi %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x8x8x8xi8>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %z : i8
  } : tensor<1x8x8x8xi8> to tensor<1x8x10x10xi8>
  %init = tensor.empty() : tensor<1x8x8x8xi8>
  %y = scf.for %c = %c0 to %c8 step %c2 iter_args(%acc = %init) -> (tensor<1x8x8x8xi8>) {
    %pt = tensor.extract_slice %p[0, %c, 0, 0] [1, 2, 10, 10] [1, 1, 1, 1] : tensor<1x8x10x10xi8> to tensor<1x2x10x10xi8>
    %wt = tensor.extract_slice %w[%c, 0, 0] [2, 3, 3] [1, 1, 1] : tensor<8x3x3xi8> to tensor<2x3x3xi8>
    %ae = tensor.empty() : tensor<1x2x8x8xi32>
    %af = linalg.fill ins(%z32 : i32) outs(%ae : tensor<1x2x8x8xi32>) -> tensor<1x2x8x8xi32>
    %s = linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%pt, %wt : tensor<1x2x10x10xi8>, tensor<2x3x3xi8>) outs(%af : tensor<1x2x8x8xi32>) {
    ^bb0(%i: i8, %k: i8, %o: i32):
      %i32 = arith.extsi %i : i8 to i32
      %k32 = arith.extsi %k : i8 to i32
      %m = arith.muli %i32, %k32 : i32
      %r = arith.addi %o, %m : i32
      linalg.yield %r : i32
    } -> tensor<1x2x8x8xi32>
    %ot = tensor.extract_slice %acc[0, %c, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<1x8x8x8xi8> to tensor<1x2x8x8xi8>
    %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x8x8xi32>) outs(%ot : tensor<1x2x8x8xi8>) {
    ^bb0(%v: i32, %o: i8):
      %t = arith.trunci %v : i32 to i8
      linalg.yield %t : i8
    } -> tensor<1x2x8x8xi8>
    %ins = tensor.insert_slice %q into %acc[0, %c, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<1x2x8x8xi8> into tensor<1x8x8x8xi8>
    scf.yield %ins : tensor<1x8x8x8xi8>
  }
  return %y : tensor<1x8x8x8xi8>
}

// -----

// A residual add tiled by channels reads its residual input one tile at a
// time; the block's expansion read that input whole before the loop, so
// the sum overwrites it.
// CHECK-LABEL: func.func @residual
// CHECK: %[[X:.*]] = linalg.generic
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%[[X]]
// CHECK: scf.for %[[C:.*]] = %c0 to %c8 step %c4 iter_args(%[[ACC:.*]] = %[[X]])
// CHECK: tensor.extract_slice %[[ACC]][0, %[[C]], 0, 0] [1, 4, 8, 8]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @residual(%a: tensor<1x8x8x8xi8>) -> (tensor<1x8x8x8xi8>, tensor<1x8x8x8xi8>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<1x8x8x8xi8>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x8x8x8xi8>) outs(%e : tensor<1x8x8x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.addi %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x8x8x8xi8>
  %e2 = tensor.empty() : tensor<1x8x8x8xi8>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x8x8x8xi8>) outs(%e2 : tensor<1x8x8x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.muli %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x8x8x8xi8>
  %init = tensor.empty() : tensor<1x8x8x8xi8>
  %y = scf.for %c = %c0 to %c8 step %c4 iter_args(%acc = %init) -> (tensor<1x8x8x8xi8>) {
    %xt = tensor.extract_slice %x[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x8x8x8xi8> to tensor<1x4x8x8xi8>
    %ot = tensor.extract_slice %acc[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x8x8x8xi8> to tensor<1x4x8x8xi8>
    %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%xt : tensor<1x4x8x8xi8>) outs(%ot : tensor<1x4x8x8xi8>) {
    ^bb0(%v: i8, %o: i8):
      %r = arith.subi %v, %o : i8
      linalg.yield %r : i8
    } -> tensor<1x4x8x8xi8>
    %ins = tensor.insert_slice %s into %acc[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x4x8x8xi8> into tensor<1x8x8x8xi8>
    scf.yield %ins : tensor<1x8x8x8xi8>
  }
  return %y, %w : tensor<1x8x8x8xi8>, tensor<1x8x8x8xi8>
}

// -----

// Not taken: the input is read after the loop (it would have to be copied
// whole), read at another tile than the one written, or of another shape
// (a stride-2 convolution's input).
// CHECK-LABEL: func.func @read_after
// CHECK: } -> tensor<1x8x8x8xi8>
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<1x8x8x8xi8>
// CHECK-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %[[E1]])
// CHECK-LABEL: func.func @other_tile
// CHECK: } -> tensor<1x8x8x8xi8>
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<1x8x8x8xi8>
// CHECK-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %[[E2]])
// CHECK-LABEL: func.func @other_shape
// CHECK: } -> tensor<1x8x8x8xi8>
// CHECK-NEXT: %[[E3:.*]] = tensor.empty() : tensor<1x8x4x8xi8>
// CHECK-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %[[E3]])
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @read_after(%a: tensor<1x8x8x8xi8>) -> (tensor<1x8x8x8xi8>, tensor<1x8x8x8xi8>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<1x8x8x8xi8>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x8x8x8xi8>) outs(%e : tensor<1x8x8x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.addi %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x8x8x8xi8>
  %init = tensor.empty() : tensor<1x8x8x8xi8>
  %y = scf.for %c = %c0 to %c8 step %c4 iter_args(%acc = %init) -> (tensor<1x8x8x8xi8>) {
    %xt = tensor.extract_slice %x[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x8x8x8xi8> to tensor<1x4x8x8xi8>
    %ins = tensor.insert_slice %xt into %acc[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x4x8x8xi8> into tensor<1x8x8x8xi8>
    scf.yield %ins : tensor<1x8x8x8xi8>
  }
  return %y, %x : tensor<1x8x8x8xi8>, tensor<1x8x8x8xi8>
}

func.func @other_tile(%a: tensor<1x8x8x8xi8>) -> tensor<1x8x8x8xi8> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<1x8x8x8xi8>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x8x8x8xi8>) outs(%e : tensor<1x8x8x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.addi %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x8x8x8xi8>
  %init = tensor.empty() : tensor<1x8x8x8xi8>
  %y = scf.for %c = %c0 to %c8 step %c4 iter_args(%acc = %init) -> (tensor<1x8x8x8xi8>) {
    // Tile c + 4 (mod 8) of the input: a later iteration's tile.
    %n = arith.addi %c, %c4 : index
    %m = arith.remui %n, %c8 : index
    %xt = tensor.extract_slice %x[0, %m, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x8x8x8xi8> to tensor<1x4x8x8xi8>
    %ins = tensor.insert_slice %xt into %acc[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x4x8x8xi8> into tensor<1x8x8x8xi8>
    scf.yield %ins : tensor<1x8x8x8xi8>
  }
  return %y : tensor<1x8x8x8xi8>
}

func.func @other_shape(%a: tensor<1x8x8x8xi8>) -> tensor<1x8x4x8xi8> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<1x8x8x8xi8>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x8x8x8xi8>) outs(%e : tensor<1x8x8x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.addi %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x8x8x8xi8>
  %init = tensor.empty() : tensor<1x8x4x8xi8>
  %y = scf.for %c = %c0 to %c8 step %c4 iter_args(%acc = %init) -> (tensor<1x8x4x8xi8>) {
    %xt = tensor.extract_slice %x[0, %c, 0, 0] [1, 4, 8, 8] [1, 1, 1, 1] : tensor<1x8x8x8xi8> to tensor<1x4x8x8xi8>
    %h = tensor.extract_slice %xt[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 2, 1] : tensor<1x4x8x8xi8> to tensor<1x4x4x8xi8>
    %ins = tensor.insert_slice %h into %acc[0, %c, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xi8> into tensor<1x8x4x8xi8>
    scf.yield %ins : tensor<1x8x4x8xi8>
  }
  return %y : tensor<1x8x4x8xi8>
}

// The example int8 model: the residual block's pointwise convolution and
// its add, tiled by fuse-accumulators, write the sum over the block input;
// the depthwise convolution before it does not (its input is that residual,
// read again after it).
// MODEL-LABEL: func.func @main_graph
// MODEL: %[[RES:.*]] = scf.for {{.*}} -> (tensor<1x16x32x32xi8>)
// MODEL: tensor.pad %[[RES]]
// MODEL: scf.for {{.*}} iter_args(%{{.*}} = %[[E:.*]]) -> (tensor<1x16x32x32xi8>)
// MODEL: scf.for {{.*}} iter_args(%{{.*}} = %[[RES]]) -> (tensor<1x16x32x32xi8>)
