// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(mnemo-cuda-launch-host-ops)"

// A sub-byte element cannot be read back.
func.func @sub_byte(%n: memref<i4>) -> memref<?xf32> {
  %v = memref.load %n[] : memref<i4>
  // expected-error @below {{'arith.index_cast' computes a value the host needs}}
  %size = arith.index_cast %v : i4 to index
  %r = memref.alloc(%size) : memref<?xf32>
  return %r : memref<?xf32>
}
