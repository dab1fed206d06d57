// RUN: mnemo-opt %s --split-input-file --mnemo-cuda-reshapes-as-casts | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cuda-reshapes-as-casts --expand-strided-metadata | FileCheck %s --check-prefix=LOWERED

// Two dynamic sizes in one group (upstream expand-strided-metadata
// crashes on it): a reinterpret_cast with the sizes' suffix products.
// CHECK-LABEL: func.func @split_dynamic
// CHECK-SAME: (%[[SRC:.*]]: memref<?xf32>, %[[A:.*]]: index, %[[B:.*]]: index)
// CHECK: %[[S0:.*]] = arith.muli %[[B]], %c4
// CHECK: memref.reinterpret_cast %[[SRC]] to offset: [0], sizes: [%[[A]], %[[B]], 4], strides: [%[[S0]], 4, 1]
// CHECK-NOT: memref.expand_shape
// LOWERED-LABEL: func.func @split_dynamic
// LOWERED-NOT: memref.expand_shape
func.func @split_dynamic(%src: memref<?xf32>, %a: index, %b: index) -> memref<?x?x4xf32> {
  %e = memref.expand_shape %src [[0, 1, 2]] output_shape [%a, %b, 4] : memref<?xf32> into memref<?x?x4xf32>
  return %e : memref<?x?x4xf32>
}

// -----

// A strided source: its stride (2) and offset carry over.
// CHECK-LABEL: func.func @strided
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [%{{.*}}], sizes: [%{{.*}}, %{{.*}}], strides: [%{{.*}}, 2]
// LOWERED-LABEL: func.func @strided
// LOWERED-NOT: memref.expand_shape
func.func @strided(%v: memref<?xf32, strided<[2], offset: ?>>, %a: index, %b: index)
    -> memref<?x?xf32, strided<[?, 2], offset: ?>> {
  %s = memref.expand_shape %v [[0, 1]] output_shape [%a, %b] : memref<?xf32, strided<[2], offset: ?>> into memref<?x?xf32, strided<[?, 2], offset: ?>>
  return %s : memref<?x?xf32, strided<[?, 2], offset: ?>>
}

// -----

// One dynamic size per group is left to expand-strided-metadata.
// CHECK-LABEL: func.func @kept
// CHECK: memref.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [%{{.*}}, 4]
func.func @kept(%src: memref<?xf32>, %a: index) -> memref<?x4xf32> {
  %e = memref.expand_shape %src [[0, 1]] output_shape [%a, 4] : memref<?xf32> into memref<?x4xf32>
  return %e : memref<?x4xf32>
}
