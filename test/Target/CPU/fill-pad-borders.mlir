// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-fill-pad-borders="min-work=64 chunks=4" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-fill-pad-borders="min-work=64 chunks=4 parallel=1" | FileCheck %s --check-prefix=PAR
// RUN: mnemo-opt %S/Inputs/sliced-stem.mlir --mnemo-cpu-fill-pad-borders | FileCheck %s --check-prefix=SLICED
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx | mnemo-opt --mnemo-graph-to-linalg --mnemo-cpu-bufferize --mnemo-cpu-fill-pad-borders | FileCheck %s --check-prefix=MODEL

// A bufferized pad: the fill of the whole buffer becomes the four border
// slabs, written after the interior copy, in chunks of 2 channels.
// CHECK-LABEL: func.func @pad_nchw
// CHECK-NOT: linalg.map
// CHECK: scf.for %[[C:.*]] = %c0 to %c8 step %c2
// CHECK: %[[SRC:.*]] = memref.subview %arg0[0, %[[C]], 0, 0] [1, 2, 4, 4]
// CHECK: %[[IN:.*]] = memref.subview %{{.*}}[0, %[[C]], 1, 1] [1, 2, 4, 4]
// CHECK: linalg.copy ins(%[[SRC]] : {{.*}}) outs(%[[IN]] :
// CHECK: memref.subview %{{.*}}[0, %[[C]], 1, 0] [1, 2, 4, 1]
// CHECK-NEXT: linalg.fill
// CHECK: memref.subview %{{.*}}[0, %[[C]], 1, 5] [1, 2, 4, 1]
// CHECK-NEXT: linalg.fill
// CHECK: memref.subview %{{.*}}[0, %[[C]], 0, 0] [1, 2, 1, 6]
// CHECK-NEXT: linalg.fill
// CHECK: memref.subview %{{.*}}[0, %[[C]], 5, 0] [1, 2, 1, 6]
// CHECK-NEXT: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK: linalg.conv_2d_nchw_fchw
// PAR-LABEL: func.func @pad_nchw
// PAR: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c2)
// PAR-COUNT-4: linalg.fill
func.func @pad_nchw(%x: memref<1x8x4x4xf32>, %w: memref<8x8x3x3xf32>, %y: memref<1x8x4x4xf32>) {
  %cst = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x8x6x6xf32>
  linalg.map outs(%p : memref<1x8x6x6xf32>) (%init: f32) {
    linalg.yield %cst : f32
  }
  %v = memref.subview %p[0, 0, 1, 1] [1, 8, 4, 4] [1, 1, 1, 1] : memref<1x8x6x6xf32> to memref<1x8x4x4xf32, strided<[288, 36, 6, 1], offset: 7>>
  memref.copy %x, %v : memref<1x8x4x4xf32> to memref<1x8x4x4xf32, strided<[288, 36, 6, 1], offset: 7>>
  linalg.conv_2d_nchw_fchw ins(%p, %w : memref<1x8x6x6xf32>, memref<8x8x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  return
}

// -----

// An asymmetric 2-d pad with a non-zero value (linalg.fill form), too small
// to chunk: one copy, and slabs only on the padded sides.
// CHECK-LABEL: func.func @pad_2d
// CHECK-NOT: scf.for
// CHECK: linalg.copy ins(%arg0 : memref<3x5xf32>) outs(%{{.*}} : memref<3x5xf32, strided<[7, 1], offset: 2>>)
// CHECK: memref.subview %{{.*}}[0, 0] [3, 2] [1, 1]
// CHECK-NEXT: linalg.fill ins(%arg1 : f32)
// CHECK: memref.subview %{{.*}}[3, 0] [1, 7] [1, 1]
// CHECK-NEXT: linalg.fill ins(%arg1 : f32)
// CHECK-NOT: linalg.fill
func.func @pad_2d(%x: memref<3x5xf32>, %pad: f32) -> memref<4x7xf32> {
  %p = memref.alloc() : memref<4x7xf32>
  linalg.fill ins(%pad : f32) outs(%p : memref<4x7xf32>)
  %v = memref.subview %p[0, 2] [3, 5] [1, 1] : memref<4x7xf32> to memref<3x5xf32, strided<[7, 1], offset: 2>>
  memref.copy %x, %v : memref<3x5xf32> to memref<3x5xf32, strided<[7, 1], offset: 2>>
  return %p : memref<4x7xf32>
}

// -----

// Not taken: the buffer is read between the fill and the copy, so the
// filled interior is observable.
// CHECK-LABEL: func.func @read_between
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<4x6xf32>)
// CHECK: memref.copy
func.func @read_between(%x: memref<2x4xf32>, %y: memref<4x6xf32>) -> memref<4x6xf32> {
  %cst = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<4x6xf32>)
  memref.copy %p, %y : memref<4x6xf32> to memref<4x6xf32>
  %v = memref.subview %p[1, 1] [2, 4] [1, 1] : memref<4x6xf32> to memref<2x4xf32, strided<[6, 1], offset: 7>>
  memref.copy %x, %v : memref<2x4xf32> to memref<2x4xf32, strided<[6, 1], offset: 7>>
  return %p : memref<4x6xf32>
}

// -----

// Not taken: the copy's source is a view of the padded buffer itself.
// CHECK-LABEL: func.func @self_copy
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<4x6xf32>)
func.func @self_copy() -> memref<4x6xf32> {
  %cst = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<4x6xf32>)
  %s = memref.subview %p[0, 0] [2, 4] [1, 1] : memref<4x6xf32> to memref<2x4xf32, strided<[6, 1]>>
  %v = memref.subview %p[1, 1] [2, 4] [1, 1] : memref<4x6xf32> to memref<2x4xf32, strided<[6, 1], offset: 7>>
  memref.copy %s, %v : memref<2x4xf32, strided<[6, 1]>> to memref<2x4xf32, strided<[6, 1], offset: 7>>
  return %p : memref<4x6xf32>
}

// The example model: every padded conv input (dynamic batch) gets its
// border slabs instead of a fill of the whole buffer.
// MODEL-LABEL: func.func @main_graph
// MODEL-NOT: linalg.map
// MODEL: memref.alloc(%[[B:.*]]) {{.*}} : memref<?x3x66x66xf32>
// MODEL: linalg.copy ins(%arg0 : memref<?x3x64x64xf32>)
// MODEL: memref.subview %{{.*}}[0, 0, 1, 0] [%[[B]], 3, 64, 1]
// MODEL-NEXT: linalg.fill
// MODEL: memref.alloc(%[[B]]) {{.*}} : memref<?x16x34x34xf32>
// MODEL: linalg.copy
// MODEL-COUNT-4: linalg.fill

// -----

// A decomposed pad: the source's producer writes the interior in place
// (no copy), so only the border is filled, before the producer.
// CHECK-LABEL: func.func @producer_writes_interior
// CHECK-NOT: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<1x2x6x6xf32>)
// CHECK-COUNT-4: linalg.fill
// CHECK: linalg.generic
// CHECK-NOT: linalg.fill
#pid = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @producer_writes_interior(%x: memref<1x2x4x4xf32>) -> memref<1x2x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %buf = memref.alloc() : memref<1x2x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%buf : memref<1x2x6x6xf32>)
  %in = memref.subview %buf[0, 0, 1, 1] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x2x6x6xf32> to memref<1x2x4x4xf32, strided<[72, 36, 6, 1], offset: 7>>
  linalg.generic {indexing_maps = [#pid, #pid], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<1x2x4x4xf32>) outs(%in : memref<1x2x4x4xf32, strided<[72, 36, 6, 1], offset: 7>>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  }
  return %buf : memref<1x2x6x6xf32>
}

// -----

// Not narrowed: the producer reads the interior's old value (an
// accumulation), which must be the fill's.
// CHECK-LABEL: func.func @producer_reads_interior
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<1x2x6x6xf32>)
#pid = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @producer_reads_interior(%x: memref<1x2x4x4xf32>) -> memref<1x2x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %buf = memref.alloc() : memref<1x2x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%buf : memref<1x2x6x6xf32>)
  %in = memref.subview %buf[0, 0, 1, 1] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x2x6x6xf32> to memref<1x2x4x4xf32, strided<[72, 36, 6, 1], offset: 7>>
  linalg.generic {indexing_maps = [#pid, #pid], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<1x2x4x4xf32>) outs(%in : memref<1x2x4x4xf32, strided<[72, 36, 6, 1], offset: 7>>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.addf %a, %o : f32
    linalg.yield %m : f32
  }
  return %buf : memref<1x2x6x6xf32>
}

// -----

// Inputs/sliced-stem.mlir: the stem's pad inside a feature-slice loop is a
// fill and a linalg.copy, itself a one-output linalg op the pass visits
// after the fill; the rewrite erases it and the pass must not visit it
// again (it crashed there). Its padding is on the low side only: two slabs.
// The 18x18 pad after the loop keeps its whole fill: its interior is read
// (copied out) between the fill and the copy that writes it, and would see
// no fill once the fill moved after the copy.
// SLICED: linalg.fill ins(%cst : f32) outs(%{{.*}} : memref<1x16x18x18xf32>)
// SLICED-NEXT: memref.subview
// SLICED-NEXT: memref.alloc
// SLICED-NEXT: linalg.copy
// SLICED: scf.for
// SLICED: linalg.copy ins(%arg0
// SLICED-NEXT: memref.subview {{.*}} [1, 3, 64, 1]
// SLICED-NEXT: linalg.fill
// SLICED-NEXT: memref.subview {{.*}} [1, 3, 1, 65]
// SLICED-NEXT: linalg.fill
// SLICED-NOT: linalg.fill {{.*}}memref<1x3x

// The same with a linalg.copy outside a loop, low padding only.
// CHECK-LABEL: func.func @pad_linalg_copy
// CHECK: linalg.copy
// CHECK: memref.subview %{{.*}}[0, %{{.*}}, 1, 0] [1, 1, 4, 1]
// CHECK-NEXT: linalg.fill
// CHECK: memref.subview %{{.*}}[0, %{{.*}}, 0, 0] [1, 1, 1, 5]
// CHECK-NEXT: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK: linalg.conv_2d_nchw_fchw
func.func @pad_linalg_copy(%x: memref<1x3x4x4xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x3x3xf32>) {
  %cst = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x3x5x5xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<1x3x5x5xf32>)
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 4, 4] [1, 1, 1, 1] : memref<1x3x5x5xf32> to memref<1x3x4x4xf32, strided<[75, 25, 5, 1], offset: 6>>
  linalg.copy ins(%x : memref<1x3x4x4xf32>) outs(%in : memref<1x3x4x4xf32, strided<[75, 25, 5, 1], offset: 6>>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : memref<1x3x5x5xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x3x3xf32>)
  return
}
