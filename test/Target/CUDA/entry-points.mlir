// RUN: mnemo-opt %s --mnemo-cpu-abi="name=m" --mnemo-cuda-entry-points="name=m" | FileCheck %s

// The CPU target's workspace plan and entry points, bracketed for CUDA:
// begin (no device: 5) -> the body -> end (a failed driver call: 6), with
// stream variants, and the result copied to the caller's output by a
// device-to-device gpu.memcpy.
// CHECK-LABEL: func.func private @m_run_dims_body
// CHECK-NOT: memref.copy
// CHECK: gpu.memcpy
// CHECK: func.func private @mnemo_cuda_begin(!llvm.ptr) -> i32
// CHECK: func.func private @mnemo_cuda_end() -> i32
// CHECK-LABEL: func.func @m_run_dims_stream(
// CHECK-SAME: %[[S:[^:]*]]: !llvm.ptr) -> i32
// CHECK: %[[RC:.*]] = call @mnemo_cuda_begin(%[[S]])
// CHECK: cf.cond_br
// CHECK: %[[BODY:.*]] = call @m_run_dims_body(
// CHECK: %[[END:.*]] = call @mnemo_cuda_end()
// CHECK: arith.select %{{.*}}, %[[END]], %[[BODY]]
// CHECK-LABEL: func.func @m_run_dims(
// CHECK: llvm.mlir.zero
// CHECK: call @m_run_dims_stream(
// CHECK-LABEL: func.func @m_run_stream(
// CHECK: call @m_run_dims_stream(
// CHECK-LABEL: func.func @m_run(
// CHECK: call @m_run_stream(
func.func @main_graph(%x: memref<2x8xf32>) -> memref<2x8xf32> {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %r = memref.alloc() : memref<2x8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    gpu.terminator
  }
  return %r : memref<2x8xf32>
}
