// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-vector-transposes="vector-width=4" | FileCheck %s
// RUN: not mnemo-opt %s --split-input-file --mnemo-cpu-vector-transposes="vector-width=3" 2>&1 | FileCheck %s --check-prefix=WIDTH

// The reorder into 4-channel blocks, [N, C/4, 4, H, W] -> [N, C/4, H, W, 4]:
// per block of 4 channels a 4 x (H*W) matrix transposed tile by tile.
// Each 4x4 tile is 4 row loads, 2 stages of 4 shuffles (stage 2 swaps
// bit 1 of row and column, stage 1 bit 0), and 4 row stores; the 10
// pixels are 2 whole tiles and 2 columns copied element by element.
// CHECK-LABEL: func.func @pack
// CHECK-DAG: %[[SRC:.*]] = memref.collapse_shape %arg0 {{\[}}[0, 1], [2], [3, 4]] : memref<1x2x4x2x5xf32> into memref<2x4x10xf32>
// CHECK-DAG: %[[DST:.*]] = memref.collapse_shape %arg1 {{\[}}[0, 1], [2, 3], [4]] : memref<1x2x2x5x4xf32> into memref<2x10x4xf32>
// CHECK: scf.for %[[B:.*]] =
// CHECK: scf.for %[[X0:.*]] =
// CHECK: scf.for %[[Y0:.*]] = %c0{{.*}} to %c8{{.*}} step %c4
// CHECK-COUNT-4: vector.load %[[SRC]][%[[B]], %{{.*}}, %[[Y0]]] : memref<2x4x10xf32>, vector<4xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5]
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [2, 3, 6, 7]
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 4, 2, 6]
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [1, 5, 3, 7]
// CHECK-COUNT-4: vector.store %{{.*}}, %[[DST]][%[[B]], %{{.*}}, %[[X0]]] : memref<2x10x4xf32>, vector<4xf32>
// CHECK: scf.for %{{.*}} = %c8{{.*}} to %c10
// CHECK: memref.load %[[SRC]]
// CHECK: memref.store %{{.*}}, %[[DST]]
// CHECK-NOT: linalg.transpose
// WIDTH: error: vector-width must be a power of 2 (at least 2)
func.func @pack(%src: memref<1x2x4x2x5xf32>, %dst: memref<1x2x2x5x4xf32>) {
  linalg.transpose ins(%src : memref<1x2x4x2x5xf32>) outs(%dst : memref<1x2x2x5x4xf32>) permutation = [0, 1, 3, 4, 2]
  return
}

// -----

// Back to NCHW, [N, C/4, H, W, 4] -> [N, C/4, 4, H, W].
// CHECK-LABEL: func.func @unpack
// CHECK-DAG: memref.collapse_shape %arg0 {{\[}}[0, 1], [2, 3], [4]] : memref<1x2x2x4x4xf32> into memref<2x8x4xf32>
// CHECK-DAG: memref.collapse_shape %arg1 {{\[}}[0, 1], [2], [3, 4]] : memref<1x2x4x2x4xf32> into memref<2x4x8xf32>
// CHECK-COUNT-4: vector.load
// CHECK-COUNT-4: vector.store
// CHECK-NOT: linalg.transpose
func.func @unpack(%src: memref<1x2x2x4x4xf32>, %dst: memref<1x2x4x2x4xf32>) {
  linalg.transpose ins(%src : memref<1x2x2x4x4xf32>) outs(%dst : memref<1x2x4x2x4xf32>) permutation = [0, 1, 4, 2, 3]
  return
}

// -----

// Not a batch of 2-D transposes (the last dim stays, the middle two swap):
// kept for the loops.
// CHECK-LABEL: func.func @other
// CHECK: linalg.transpose
func.func @other(%src: memref<2x4x4x4xf32>, %dst: memref<2x4x4x4xf32>) {
  linalg.transpose ins(%src : memref<2x4x4x4xf32>) outs(%dst : memref<2x4x4x4xf32>) permutation = [0, 2, 1, 3]
  return
}
