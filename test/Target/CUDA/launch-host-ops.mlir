// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(mnemo-cuda-launch-host-ops)" | FileCheck %s

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

// -----

// An output sized by the data (NonZero's count): the count is stored by a
// one-thread launch, then read back on the host for the allocation; the
// index arithmetic on it follows on the host.
// CHECK-LABEL: func.func @size_from_data
// CHECK: gpu.launch blocks
// CHECK: memref.store %{{.*}}, %[[N:.*]][] : memref<i64>
// CHECK: gpu.terminator
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[N]]
// CHECK: %[[ADDR:.*]] = llvm.inttoptr
// CHECK: %[[RAW:.*]] = call @mnemo_cuda_read(%[[ADDR]], %c8_i64)
// CHECK: %[[SIZE:.*]] = arith.index_cast %[[RAW]] : i64 to index
// CHECK: %[[TWICE:.*]] = arith.muli %[[SIZE]], %c2
// CHECK: memref.alloc(%[[TWICE]]) : memref<?xf32>
// CHECK-NOT: gpu.launch
// CHECK: func.func private @mnemo_cuda_read(!llvm.ptr, i64) -> i64
func.func @size_from_data(%x: memref<f32>, %n: memref<i64>) -> memref<?xf32> {
  %c2 = arith.constant 2 : index
  %seven = arith.constant 7 : i64
  memref.store %seven, %n[] : memref<i64>
  %count = memref.load %n[] : memref<i64>
  %size = arith.index_cast %count : i64 to index
  %twice = arith.muli %size, %c2 : index
  %r = memref.alloc(%twice) : memref<?xf32>
  return %r : memref<?xf32>
}

// -----

// If and Loop over device data: a branch that launches kernels takes its
// condition, and a loop its bound, read back from device memory (an f32
// compared on the host, a strided view's element at a run-time index).
// CHECK-LABEL: func.func @control_from_data
// CHECK: %[[B:.*]], %[[OFF:.*]], %[[SIZES:.*]], %[[STRIDES:.*]] = memref.extract_strided_metadata %[[V:.*]] :
// CHECK: %[[E:.*]] = arith.muli %{{.*}}, %[[STRIDES]]
// CHECK: %[[LIN:.*]] = arith.addi %[[OFF]], %[[E]]
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[V]]
// CHECK: %[[BYTES:.*]] = arith.muli %[[LIN]], %c4
// CHECK: arith.addi %[[P]], %[[BYTES]]
// CHECK: %[[RAW:.*]] = call @mnemo_cuda_read(%{{.*}}, %c4_i64)
// CHECK: %[[T:.*]] = arith.trunci %[[RAW]] : i64 to i32
// CHECK: %[[F:.*]] = arith.bitcast %[[T]] : i32 to f32
// CHECK: %[[C:.*]] = arith.cmpf ogt, %[[F]]
// CHECK: scf.if %[[C]]
// CHECK: gpu.launch
// CHECK: %[[RAWN:.*]] = call @mnemo_cuda_read(%{{.*}}, %c8_i64)
// CHECK: %[[N:.*]] = arith.index_cast %[[RAWN]] : i64 to index
// CHECK: scf.for %{{.*}} = %c0 to %[[N]]
func.func @control_from_data(%v: memref<8xf32, strided<[2], offset: 1>>,
                             %at: index, %n: memref<index>,
                             %o: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %x = memref.load %v[%at] : memref<8xf32, strided<[2], offset: 1>>
  %cond = arith.cmpf ogt, %x, %zero : f32
  scf.if %cond {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      memref.store %zero, %o[%c0] : memref<4xf32>
      gpu.terminator
    }
  }
  %count = memref.load %n[] : memref<index>
  scf.for %i = %c0 to %count step %c1 {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      memref.store %zero, %o[%i] : memref<4xf32>
      gpu.terminator
    }
  }
  return
}

// -----

// A size the run overwrites after loading it, and a count a loop in the
// run accumulates: the run stores each value into a buffer of its own,
// read back after it (NonZero's and Unique's counts).
// CHECK-LABEL: func.func @stored_for_host
// CHECK: %[[B0:.*]] = memref.alloc() : memref<index>
// CHECK: %[[B1:.*]] = memref.alloc() : memref<index>
// CHECK: gpu.launch blocks
// CHECK: %[[OLD:.*]] = memref.load %{{.*}}[] : memref<index>
// CHECK-NEXT: memref.store %[[OLD]], %[[B1]][]
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: memref.store %[[SUM]], %[[B0]][]
// CHECK: gpu.terminator
// CHECK: memref.extract_aligned_pointer_as_index %[[B0]]
// CHECK: %[[R0:.*]] = call @mnemo_cuda_read
// CHECK: %[[N0:.*]] = arith.index_cast %[[R0]] : i64 to index
// CHECK: memref.extract_aligned_pointer_as_index %[[B1]]
// CHECK: %[[R1:.*]] = call @mnemo_cuda_read
// CHECK: %[[N1:.*]] = arith.index_cast %[[R1]] : i64 to index
// CHECK: memref.alloc(%[[N1]], %[[N0]]) : memref<?x?xf32>
func.func @stored_for_host(%n: memref<index>, %flags: memref<8xi1>) -> memref<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %size = memref.load %n[] : memref<index>
  memref.store %c3, %n[] : memref<index>
  %count = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %c0) -> index {
    %f = memref.load %flags[%i] : memref<8xi1>
    %next = arith.addi %acc, %c1 : index
    %r = arith.select %f, %next, %acc : index
    scf.yield %r : index
  }
  %out = memref.alloc(%size, %count) : memref<?x?xf32>
  return %out : memref<?x?xf32>
}

// -----

// The split of @split_runs, but the kernel between the runs overwrites the
// buffer the comparison was loaded from: the first run also stores the
// loaded value into a buffer of its own, which the host reads back after
// the kernel; the comparison is redone on the host and the second run's
// launch takes it as an argument.
// CHECK-LABEL: func.func @split_runs_written
// CHECK: %[[KEEP:.*]] = memref.alloc() : memref<i64>
// CHECK: gpu.launch blocks
// CHECK: %[[X:.*]] = memref.load %[[T:.*]][] : memref<i64>
// CHECK-NEXT: memref.store %[[X]], %[[KEEP]][]
// CHECK: gpu.launch blocks
// CHECK: memref.store %c7_i64, %[[T]][]
// CHECK: memref.extract_aligned_pointer_as_index %[[KEEP]]
// CHECK: %[[RAW:.*]] = call @mnemo_cuda_read(%{{.*}}, %c8_i64)
// CHECK: %[[EQ:.*]] = arith.cmpi eq, %[[RAW]], %c1_i64 : i64
// CHECK: gpu.launch blocks
// CHECK-NEXT: memref.store %[[EQ]], %{{.*}}[] : memref<i1>
func.func @split_runs_written(%t: memref<i64>, %m1: memref<i1>, %m2: memref<i1>) {
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i64
  %x = memref.load %t[] : memref<i64>
  %eq = arith.cmpi eq, %x, %one : i64
  memref.store %eq, %m1[] : memref<i1>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %seven = arith.constant 7 : i64
    memref.store %seven, %t[] : memref<i64>
    gpu.terminator
  }
  memref.store %eq, %m2[] : memref<i1>
  return
}
