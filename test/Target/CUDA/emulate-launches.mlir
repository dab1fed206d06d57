// RUN: mnemo-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mnemo-cuda-emulate-launches))" | FileCheck %s

// A block of 64 threads adds each value to its mirror image through
// shared memory: every thread writes before any reads (the barrier), so
// the store phase is one loop over the threads and the load phase another.
// Thread ids are recomputed in each phase; the value a thread loaded
// before the barrier and uses after it crosses in a per-thread buffer.
// CHECK-LABEL: func.func @reverse
// CHECK-DAG: %[[SHARED:.*]] = memref.alloc() : memref<64xf32>
// CHECK-DAG: %[[KEPT:.*]] = memref.alloc() : memref<64xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %c64
// CHECK: %[[X:.*]] = arith.remui %[[T]]
// CHECK: %[[V:.*]] = memref.load %arg0[%[[X]]]
// CHECK: memref.store %[[V]], %[[KEPT]][%[[T]]]
// CHECK: memref.store %[[V]], %[[SHARED]][%[[X]]]
// CHECK: }
// CHECK: scf.for %[[T2:.*]] = %{{.*}} to %c64
// CHECK: %[[X2:.*]] = arith.remui %[[T2]]
// CHECK: %[[R:.*]] = arith.subi %c63, %[[X2]]
// CHECK: %[[W:.*]] = memref.load %[[SHARED]][%[[R]]]
// CHECK: %[[V2:.*]] = memref.load %[[KEPT]][%[[T2]]]
// CHECK: %[[S:.*]] = arith.addf %[[V2]], %[[W]]
// CHECK: memref.store %[[S]], %arg1[%[[X2]]]
// CHECK-NOT: gpu.
func.func @reverse(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c63 = arith.constant 63 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1)
             workgroup(%s : memref<64xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %in[%tx] : memref<64xf32>
    memref.store %v, %s[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %r = arith.subi %c63, %tx : index
    %w = memref.load %s[%r] : memref<64xf32, #gpu.address_space<workgroup>>
    %sum = arith.addf %v, %w : f32
    memref.store %sum, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

// A loop with barriers runs once per block; what it carries (a vector) is
// a row per thread of a per-thread buffer.
// CHECK-LABEL: func.func @carried
// CHECK-DAG: %[[ACC:.*]] = memref.alloc() : memref<32x4xf32>
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c32
// CHECK: vector.store %{{.*}}, %[[ACC]]
// CHECK: scf.for %[[K:.*]] = %c0{{.*}} to %c8
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c32
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c32
// CHECK: vector.load %[[ACC]]
// CHECK: vector.store %{{.*}}, %[[ACC]]
func.func @carried(%in: memref<8x32xf32>, %out: memref<32x4xf32>) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant dense<0.0> : vector<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%s : memref<32xf32, #gpu.address_space<workgroup>>) {
    %acc = scf.for %k = %c0 to %c8 step %c1 iter_args(%a = %zero) -> (vector<4xf32>) {
      %v = memref.load %in[%k, %tx] : memref<8x32xf32>
      memref.store %v, %s[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %s[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      %b = vector.broadcast %w : f32 to vector<4xf32>
      %n = arith.addf %a, %b : vector<4xf32>
      gpu.barrier
      scf.yield %n : vector<4xf32>
    }
    vector.store %acc, %out[%tx, %c0] : memref<32x4xf32>, vector<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A warp shuffle ends a phase like a barrier: every lane's value is in its
// per-thread buffer before lane l reads lane l ^ 1 of its own warp (thread
// t - t % 32 + (l ^ 1)); a source lane not below the width leaves the
// lane's own value and valid false.
// CHECK-LABEL: func.func @shuffle_xor
// CHECK-DAG: %[[VALS:.*]] = memref.alloc() : memref<64xf32>
// CHECK-DAG: %[[RES:.*]] = memref.alloc() : memref<64xf32>
// CHECK-DAG: %[[OK:.*]] = memref.alloc() : memref<64xi8>
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %c64
// CHECK: memref.store %{{.*}}, %[[VALS]][%[[T]]]
// CHECK: scf.for %[[T2:.*]] = %{{.*}} to %c64
// CHECK: %[[LANE:.*]] = arith.remui %[[T2]], %c32
// CHECK: %[[WARP:.*]] = arith.subi %[[T2]], %[[LANE]]
// CHECK: %[[SRC:.*]] = arith.xori %[[LANE]], %{{.*}}
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[SRC]], %{{.*}}
// CHECK: %[[PICK:.*]] = arith.select %[[IN]], %[[SRC]], %[[LANE]]
// CHECK: %[[FROM:.*]] = arith.addi %[[WARP]], %[[PICK]]
// CHECK: %[[X:.*]] = memref.load %[[VALS]][%[[FROM]]]
// CHECK: memref.store %[[X]], %[[RES]][%[[T2]]]
// CHECK: memref.store %{{.*}}, %[[OK]][%[[T2]]]
// CHECK: scf.for %[[T3:.*]] = %{{.*}} to %c64
// CHECK: memref.load %[[RES]][%[[T3]]]
// CHECK-NOT: gpu.
func.func @shuffle_xor(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %in[%tx] : memref<64xf32>
    %r, %ok = gpu.shuffle xor %v, %one, %width : f32
    %sum = arith.addf %v, %r : f32
    memref.store %sum, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
