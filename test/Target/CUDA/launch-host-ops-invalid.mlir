// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(mnemo-cuda-launch-host-ops)"

// A sub-byte element cannot be read back.
func.func @sub_byte(%n: memref<i4>) -> memref<?xf32> {
  %v = memref.load %n[] : memref<i4>
  // expected-error @below {{'arith.index_cast' computes a value the host needs}}
  %size = arith.index_cast %v : i4 to index
  %r = memref.alloc(%size) : memref<?xf32>
  return %r : memref<?xf32>
}

// -----

// The same split, but the kernel between the runs writes the buffer the
// comparison was loaded from: the first run's value cannot be recomputed.
func.func @split_runs_written(%t: memref<i64>, %m1: memref<i1>, %m2: memref<i1>) {
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i64
  // expected-error @below {{'memref.load' computes a value the host needs}}
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
