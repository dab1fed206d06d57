// RUN: mnemo-opt %s --mnemo-cuda-device-constants | FileCheck %s

// A weight a kernel reads becomes the runtime's device copy of it (copied
// on the first run, the same pointer after); a constant the host itself
// loads keeps the host copy; a non-constant global is left alone.
// CHECK-LABEL: func.func @main_graph
// CHECK: %[[W:.*]] = memref.get_global @weight : memref<4x8xf32>
// CHECK: %[[ADDR:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[I64:.*]] = arith.index_cast %[[ADDR]] : index to i64
// CHECK: %[[HOST:.*]] = llvm.inttoptr %[[I64]] : i64 to !llvm.ptr
// CHECK: %[[BYTES:.*]] = arith.constant 128 : i64
// CHECK: %[[DEV:.*]] = call @mnemo_cuda_constant(%[[HOST]], %[[BYTES]])
// CHECK: %[[DEVREF:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<4x8xf32>
// CHECK: %[[P:.*]] = memref.get_global @pads : memref<2xi64>
// CHECK-NOT: mnemo_cuda_constant
// CHECK: memref.load %[[P]]
// CHECK: gpu.launch
// CHECK: memref.load %[[DEVREF]]
// CHECK: func.func private @mnemo_cuda_constant(!llvm.ptr, i64) -> !llvm.ptr
memref.global "private" constant @weight : memref<4x8xf32> = dense<1.0>
memref.global "private" constant @pads : memref<2xi64> = dense<[1, 2]>
func.func @main_graph(%out: memref<4x8xf32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %w = memref.get_global @weight : memref<4x8xf32>
  %p = memref.get_global @pads : memref<2xi64>
  %pad = memref.load %p[%c0] : memref<2xi64>
  %n = arith.index_cast %pad : i64 to index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %w[%c0, %c0] : memref<4x8xf32>
    memref.store %v, %out[%c0, %c0] : memref<4x8xf32>
    gpu.terminator
  }
  return %n : index
}
