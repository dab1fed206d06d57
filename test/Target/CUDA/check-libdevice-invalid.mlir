// RUN: mnemo-opt %s --split-input-file --mnemo-cuda-check-libdevice="toolkit=/nonexistent/cuda" -verify-diagnostics
// RUN: not mnemo-opt %s --split-input-file --mnemo-cuda-check-libdevice 2>&1 | FileCheck %s --check-prefix=NONE

// A kernel calling libdevice's expf (what convert-gpu-to-nvvm makes of
// math.exp) with no libdevice where the toolkit should be: an error at the
// call, naming the kernel and where libdevice was looked for, instead of
// PTX that ptxas or the driver's JIT would reject later.
module attributes {gpu.container_module} {
  gpu.module @k0 {
    llvm.func @__nv_expf(f32) -> f32
    llvm.func @softmax_kernel(%x: f32) -> f32 {
      // expected-error @+1 {{kernel 'k0::softmax_kernel' calls libdevice's __nv_expf, and libdevice is not at /nonexistent/cuda/nvvm/libdevice/libdevice.10.bc}}
      %y = llvm.call @__nv_expf(%x) : (f32) -> f32
      llvm.return %y : f32
    }
  }
}
// NONE: error: kernel {{.*}} and no CUDA toolkit was found when mnemo was built

// -----

// Kernels without libdevice calls need no toolkit.
module attributes {gpu.container_module} {
  gpu.module @k1 {
    llvm.func @relu_kernel(%x: f32) -> f32 {
      %z = llvm.mlir.constant(0.0 : f32) : f32
      %y = llvm.intr.maxnum(%x, %z) : (f32, f32) -> f32
      llvm.return %y : f32
    }
  }
}
