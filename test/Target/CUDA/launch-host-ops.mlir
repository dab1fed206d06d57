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

// -----

// A loop that launches a kernel per step (an argmax over its axis) stays
// on the host; the store before it inside the loop gets a launch of its
// own, not the loop (launches do not nest).
// CHECK-LABEL: func.func @loop_of_launches
// CHECK: scf.for
// CHECK-NEXT: arith.constant 1 : index
// CHECK-NEXT: gpu.launch
// CHECK-NEXT: memref.store
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @loop_of_launches(%a: memref<4xf32>, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %zero, %s[] : memref<f32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %a[%i] : memref<4xf32>
      memref.store %v, %s[] : memref<f32>
      gpu.terminator
    }
  }
  return
}

// -----

// Scalar code unrolled from a tiny tensor, with the output's allocation in
// the middle: the allocation moves up and the loads, selects and stores
// stay one launch (split at the allocation, the stores would read values
// of another kernel).
// CHECK-LABEL: func.func @unrolled
// CHECK: memref.alloc
// CHECK-NEXT: arith.constant 1 : index
// CHECK-NEXT: gpu.launch
// CHECK-NEXT: memref.load
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.select
// CHECK-NEXT: memref.store
// CHECK-NEXT: gpu.terminator
func.func @unrolled(%c: memref<2xi1>, %x: memref<2xi64>) -> memref<2xi64> {
  %c0 = arith.constant 0 : index
  %b = memref.load %c[%c0] : memref<2xi1>
  %v = memref.load %x[%c0] : memref<2xi64>
  %s = arith.select %b, %v, %v : i64
  %out = memref.alloc() : memref<2xi64>
  memref.store %s, %out[%c0] : memref<2xi64>
  return %out : memref<2xi64>
}

// -----

// A scalar input a kernel captures (the value of a Pad) is read inside
// that kernel: the load moves into it instead of a launch of its own whose
// result the host would have to pass on.
// CHECK-LABEL: func.func @captured_scalar
// CHECK-NOT: memref.load
// CHECK: gpu.launch
// CHECK-NEXT: %[[V:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: memref.store %[[V]]
// CHECK-NOT: gpu.launch
func.func @captured_scalar(%value: memref<f32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = memref.load %value[] : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %v, %out[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// Two runs of scalar code (tiny ops unrolled) with a kernel launched
// between them, the second storing a comparison CSE merged with the
// first's: the comparison and the load under it are copied into the
// second run (nothing between writes %t), so each run is its own launch.
// CHECK-LABEL: func.func @split_runs
// CHECK: gpu.launch blocks
// CHECK: %[[X:.*]] = memref.load %{{.*}}[] : memref<i64>
// CHECK: %[[EQ:.*]] = arith.cmpi eq, %[[X]]
// CHECK: memref.store %[[EQ]], %{{.*}}[] : memref<i1>
// CHECK: gpu.launch blocks
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<4xf32>
// CHECK: gpu.launch blocks
// CHECK: %[[X2:.*]] = memref.load %{{.*}}[] : memref<i64>
// CHECK: %[[EQ2:.*]] = arith.cmpi eq, %[[X2]]
// CHECK: memref.store %[[EQ2]], %{{.*}}[] : memref<i1>
// CHECK: return
func.func @split_runs(%t: memref<i64>, %m1: memref<i1>, %o: memref<4xf32>, %m2: memref<i1>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i64
  %x = memref.load %t[] : memref<i64>
  %eq = arith.cmpi eq, %x, %one : i64
  memref.store %eq, %m1[] : memref<i1>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %two = arith.constant 2.0 : f32
    memref.store %two, %o[%c0] : memref<4xf32>
    gpu.terminator
  }
  memref.store %eq, %m2[] : memref<i1>
  return
}
