// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-launch-host-ops))" | FileCheck %s

// A scalar op lowered to a load and a store (a 0-d linalg op) and a full
// reduction (no parallel dim, only a loop) run in one-thread launches; the
// views and the kernel already launched stay on the host.
// CHECK-LABEL: func.func @leftovers
// CHECK: memref.subview
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.addf
// CHECK-NEXT: memref.store
// CHECK-NEXT: scf.for
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks
// CHECK-NEXT: arith.constant 2.000000e+00
// CHECK: return
func.func @leftovers(%a: memref<f32>, %b: memref<8xf32>, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %v = memref.subview %b[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %x = memref.load %a[] : memref<f32>
  %y = arith.addf %x, %x : f32
  memref.store %y, %s[] : memref<f32>
  scf.for %i = %c0 to %c8 step %c1 {
    %e = memref.load %b[%i] : memref<8xf32>
    %acc = memref.load %s[] : memref<f32>
    %n = arith.addf %acc, %e : f32
    memref.store %n, %s[] : memref<f32>
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %two = arith.constant 2.0 : f32
    memref.store %two, %v[%c0] : memref<4xf32, strided<[1]>>
    gpu.terminator
  }
  return
}
