// REQUIRES: cuda-toolkit
// RUN: mnemo-opt %s --mnemo-cuda-check-libdevice="toolkit=%cuda_toolkit" | FileCheck %s

// With the toolkit's libdevice in place a kernel calling it passes as it
// is; gpu-module-to-binary links it.
// CHECK: llvm.call @__nv_expf
module attributes {gpu.container_module} {
  gpu.module @k0 {
    llvm.func @__nv_expf(f32) -> f32
    llvm.func @softmax_kernel(%x: f32) -> f32 {
      %y = llvm.call @__nv_expf(%x) : (f32) -> f32
      llvm.return %y : f32
    }
  }
}
