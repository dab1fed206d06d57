// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-launch-host-ops))"

// A size read from device data cannot reach the host's allocation.
func.func @shape_from_data(%n: memref<index>) -> memref<?xf32> {
  // expected-error @below {{'memref.load' computes a value the host needs (a shape or size read from device data): the CUDA target cannot run it}}
  %size = memref.load %n[] : memref<index>
  %r = memref.alloc(%size) : memref<?xf32>
  return %r : memref<?xf32>
}
