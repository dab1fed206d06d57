// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{precision=fp8}))"

// fp8 tensor cores are not built: the precision is refused by name.
// expected-error @below {{precision must be fp32, tf32, fp16 or bf16, got 'fp8'}}
func.func @fp8(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  return
}
