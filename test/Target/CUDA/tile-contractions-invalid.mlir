// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-tile-contractions{smem-budget=1024}))"

// No shape's staged tiles fit 1 KiB: the error names the least that works
// (16x64x16: 16 x (20 + 68) floats).
func.func @too_small(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  // expected-error @below {{no tile of this contraction fits --smem-budget=1024 bytes; the smallest needs 5632}}
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  return
}
