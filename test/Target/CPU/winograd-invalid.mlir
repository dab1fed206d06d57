// RUN: not mnemo-opt %s --mnemo-cpu-winograd="cpu=notacpu" 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not mnemo-opt %s --mnemo-cpu-winograd="min-channels=0" 2>&1 | FileCheck %s --check-prefix=MIN
// RUN: mnemo-opt %s --mnemo-cpu-winograd --split-input-file --verify-diagnostics
// CPU: error: --cpu=notacpu is not a CPU LLVM knows
// MIN: error: mnemo-cpu-winograd: min-channels must be at least 1

// Fewer channels than min-channels (16): the direct form stays, and so do
// its weights.
memref.global "private" constant @w : memref<8x8x3x3xf32> = dense<1.0>
func.func @few(%x: memref<1x8x6x6xf32>, %y: memref<1x8x4x4xf32>) {
  %w = memref.get_global @w : memref<8x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x8x6x6xf32>, memref<8x8x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  return
}
