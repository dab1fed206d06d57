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
