// RUN: not mnemo-opt %s --mnemo-cpu-block-channels="cpu=notacpu" 2>&1 | FileCheck %s
// The block size comes from the target; an unknown CPU is an error, not
// a silent default.
// CHECK: error: --cpu=notacpu is not a CPU LLVM knows
func.func @f(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  return %x : tensor<1x8x6x6xf32>
}
