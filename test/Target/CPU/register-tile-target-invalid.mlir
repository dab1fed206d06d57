// RUN: not mnemo-opt %s --mnemo-cpu-register-tile="cpu=notacpu" 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not mnemo-opt %s --mnemo-cpu-register-tile="cpu-features=avx2" 2>&1 | FileCheck %s --check-prefix=FEAT
// RUN: not mnemo-opt %s --mnemo-cpu-register-tile="cpu-features=+avx9" 2>&1 | FileCheck %s --check-prefix=FEAT
// CPU: error: --cpu=notacpu is not a CPU LLVM knows
// FEAT: error: --cpu-features: '{{.*}}' is not +NAME or -NAME with an LLVM feature name
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}
