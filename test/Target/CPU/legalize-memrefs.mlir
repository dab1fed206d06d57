// RUN: mnemo-opt %s --mnemo-cpu-legalize-memrefs | FileCheck %s

// A copy into a strided view becomes linalg.copy; a contiguous one stays.
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32>) outs(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x2xf32> to memref<2x2xf32>
func.func @copies(%a: memref<2x2xf32>, %b: memref<4x4xf32>, %c: memref<2x2xf32>) {
  %v = memref.subview %b[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %v : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %c : memref<2x2xf32> to memref<2x2xf32>
  return
}

// Two dynamic dims in one expand group become a reinterpret_cast with
// row-major strides (static where the sizes are).
// CHECK-LABEL: func.func @expand
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [%{{.*}}, 4, %{{.*}}, 1], strides: [%{{.*}}, %{{.*}}, 1, 1]
func.func @expand(%a: memref<?xf32>, %m: index, %n: index) -> memref<?x4x?x1xf32> {
  %e = memref.expand_shape %a [[0, 1, 2, 3]] output_shape [%m, 4, %n, 1] : memref<?xf32> into memref<?x4x?x1xf32>
  return %e : memref<?x4x?x1xf32>
}

// A copy of a concat slice onto itself (left by bufferization) is erased.
// CHECK-LABEL: func.func @self_copy
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @self_copy(%buf: memref<1x8x4x4xf32>) {
  %s = memref.subview %buf[0, 4, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
  memref.copy %s, %s : memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
  return
}
